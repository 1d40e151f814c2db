import { QUEUE_NAME_PATTERN, dqName, qName, xqName } from "./queueNames";

describe("qName", () => {
  it("strips a trailing .DQ or .XQ", () => {
    expect(qName("emails")).toBe("emails");
    expect(qName("emails.DQ")).toBe("emails");
    expect(qName("emails.XQ")).toBe("emails");
  });

  it("leaves .DQ/.XQ elsewhere in the name alone", () => {
    expect(qName("a.DQ.b")).toBe("a.DQ.b");
    expect(qName("emailsDQ")).toBe("emailsDQ");
    expect(qName("emails.dq")).toBe("emails.dq");
  });
});

describe("dqName", () => {
  it("gives the delay queue of a queue, its dead-letter queue, or itself", () => {
    expect(dqName("emails")).toBe("emails.DQ");
    expect(dqName("emails.DQ")).toBe("emails.DQ");
    expect(dqName("emails.XQ")).toBe("emails.DQ");
  });
});

describe("xqName", () => {
  it("gives the dead-letter queue of a queue, its delay queue, or itself", () => {
    expect(xqName("emails")).toBe("emails.XQ");
    expect(xqName("emails.DQ")).toBe("emails.XQ");
    expect(xqName("emails.XQ")).toBe("emails.XQ");
  });
});

describe("QUEUE_NAME_PATTERN", () => {
  it.each(["default", "_private", "a", "Emails", "a.b", "a-b_c.d9", "q.DQ"])("accepts %j", (name) => {
    expect(QUEUE_NAME_PATTERN.test(name)).toBe(true);
  });

  it.each(["", "1abc", "-a", ".a", "has space", "a/b", "a:b", "é", "emails!", "a\nb", " a"])("rejects %j", (name) => {
    expect(QUEUE_NAME_PATTERN.test(name)).toBe(false);
  });
});
