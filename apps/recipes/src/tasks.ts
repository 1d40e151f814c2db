/**
 * The actor module `q` loads after `broker.js`: declares the recipes' actors on the global
 * broker, which `broker.js` has set.
 */
import { getBroker } from "@q/core";
import { declareTasks } from "./declareTasks";

export const tasks = declareTasks(getBroker());
