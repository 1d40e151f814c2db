import { RecordingBroker } from "../../test/support/RecordingBroker";
import { actor } from "../actor/declareActor";
import { ArgumentError } from "../errors/ArgumentError";
import { Group, group } from "./Group";
import { Pipeline, pipeline } from "./Pipeline";

const broker = new RecordingBroker();
const add = actor(function add(a: number, b: number) {
  return a + b;
}, { broker });

/** What `fn` throws. */
function failure(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a throw");
}

describe("pipeline() arguments", () => {
  it.each<[string, unknown, string | RegExp]>([
    ["no steps", [], "A pipeline needs at least one message."],
    ["a single message instead of a list", add.message(1, 2), "A pipeline takes a list of messages, pipelines and groups, got a Message."],
    ["an actor instead of its message", [add.message(1, 2), add], "A pipeline's children must be messages, pipelines or groups; child 1 is a function add."],
    ["an empty group step", [group([], { broker })], "A pipeline's group step needs at least one message; child 0 is an empty group."],
    ["a group step holding a pipeline", [add.message(1, 2), group([pipeline([add.message(1)], { broker })], { broker })], "A pipeline's group step holds messages only; child 1's member 0 is a Pipeline."],
    [
      "a group step with completion callbacks",
      [group([add.message(1)], { broker }).addCompletionCallback(add.message(1, 2))],
      "A pipeline's group step cannot have completion callbacks (child 0): the next step is its completion.",
    ],
    ["a message's dict", [add.message(1, 2).toDict()], /^A pipeline's children must be messages, pipelines or groups; child 0 is \{"queue_name":"default"/],
  ])("rejects %s with an ArgumentError", (_label, children, message) => {
    for (const make of [() => pipeline(children as never, { broker }), () => new Pipeline(children as never, { broker })]) {
      const error = failure(make);
      expect(error).toBeInstanceOf(ArgumentError);
      if (typeof message === "string") expect(error.message).toBe(message);
      else expect(error.message).toMatch(message);
    }
  });

  it("takes messages and pipelines", () => {
    const inner = pipeline([add.message(1, 2), add.message(3)], { broker });
    expect(pipeline([inner, add.message(4)], { broker }).length).toBe(3);
  });
});

describe("group() arguments", () => {
  it.each<[string, unknown, string]>([
    ["a single message instead of a list", add.message(1, 2), "A group takes a list of messages, pipelines and groups, got a Message."],
    ["an actor instead of its message", [add], "A group's children must be messages, pipelines or groups; child 0 is a function add."],
    ["a string", [add.message(1, 2), "add"], "A group's children must be messages, pipelines or groups; child 1 is \"add\"."],
  ])("rejects %s with an ArgumentError", (_label, children, message) => {
    for (const make of [() => group(children as never, { broker }), () => new Group(children as never, { broker })]) {
      const error = failure(make);
      expect(error).toBeInstanceOf(ArgumentError);
      expect(error.message).toBe(message);
    }
  });

  it("takes only a message as a completion callback", () => {
    const g = group([add.message(1, 2)], { broker });
    const error = failure(() => g.addCompletionCallback(add as never));
    expect(error).toBeInstanceOf(ArgumentError);
    expect(error.message).toBe("A completion callback is a message, got a function add.");
    expect(g.addCompletionCallback(add.message(1, 2))).toBe(g);
  });

  it("takes messages, pipelines and groups, and an empty list", () => {
    expect(group([add.message(1, 2), pipeline([add.message(1, 2)], { broker }), group([], { broker })], { broker }).length).toBe(3);
  });
});
