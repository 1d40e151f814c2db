/* global module, require */
/** @type {import('jest').Config} */
module.exports = {
  ...require("../../jest.config.base.js"),
  // Every file starts servers of its own and real q processes: one at a time on 2 cores.
  maxWorkers: 1,
  testTimeout: 120_000,
};
