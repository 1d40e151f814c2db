import { ConfigurationError } from "../errors/ConfigurationError";
import { redactRedisUrl, validateRedisUrl } from "./validateRedisUrl";

const SECRET = "Sx-3kq9";

describe("redactRedisUrl", () => {
  it.each([
    ["redis://u:Sx-3kq9@host:6379/0", "redis://u:****@host:6379/0"],
    ["redis://:Sx-3kq9@host", "redis://:****@host"],
    // Reserved characters the user forgot to percent-encode: masked up to the last "@".
    ["redis://u:Sx-3kq9/x@host:6379", "redis://u:****@host:6379"],
    ["redis://u:Sx@3kq9@host/0", "redis://u:****@host/0"],
    ["redis://u:Sx#3kq9@host", "redis://u:****@host"],
    ["redis://u:Sx?3kq9@host", "redis://u:****@host"],
    // No ":": what stands before the "@" is most likely a password given without one.
    ["redis://Sx-3kq9@host/zz", "redis://****@host/zz"],
    ["redis://host:6379/0", "redis://host:6379/0"],
    ["unix:///run/redis.sock?db=2", "unix:///run/redis.sock?db=2"],
  ])("%s shows as %s", (url, shown) => {
    expect(redactRedisUrl(url)).toBe(shown);
  });
});

describe("validateRedisUrl", () => {
  it("never puts the password in its error, however the URL is broken", () => {
    for (const url of [`redis://u:${SECRET}/x@host`, `redis://${SECRET}@host/zz`, `http://u:${SECRET}@host`, `redis://u:${SECRET}@host/db`]) {
      let error: unknown;
      try {
        validateRedisUrl(url);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as Error).message).not.toContain(SECRET);
    }
  });

  it("lowercases the scheme, so REDISS:// still means TLS to ioredis", () => {
    expect(validateRedisUrl("REDISS://u:p@host:6380/1")).toBe("rediss://u:p@host:6380/1");
    expect(validateRedisUrl("Redis://host")).toBe("redis://host");
  });
});
