import { redactAuthCommand } from "./redactAuthCommand";

describe("redactAuthCommand", () => {
  it("masks the arguments of a refused AUTH or HELLO, so printing the error shows no password", () => {
    for (const [name, args] of [["auth", ["user", "Sx-3kq9"]], ["HELLO", ["3", "AUTH", "user", "Sx-3kq9"]]] as const) {
      const error = Object.assign(new Error("WRONGPASS invalid username-password pair"), { command: { name, args: [...args] } });
      expect(redactAuthCommand(error)).toBe(error);
      expect(error.command.args).toEqual(args.map(() => "****"));
    }
  });

  it("leaves other commands' errors and non-errors alone", () => {
    const error = Object.assign(new Error("ERR"), { command: { name: "get", args: ["key"] } });
    redactAuthCommand(error);
    expect(error.command.args).toEqual(["key"]);
    expect(redactAuthCommand("text")).toBe("text");
    expect(redactAuthCommand(undefined)).toBeUndefined();
  });
});
