import { urlToHttpOptions } from "node:url"
import { describe, expect, it } from "vitest"
import { requestTarget } from "../src/RequestTarget.js"

const URLS = [
  "http://127.0.0.1:8080/api/callback/trun_abc123",
  "http://127.0.0.1:8080/api/callback/trun_def456",
  "https://user:secret@orchestrator.example/base/api/callback/trun_x.y-z~",
  "http://h/a?x=/b",
  "http://h/a/..",
  "http://h/a/.",
  "http://h/a/%2e%2e",
  "http://h/a/%2E",
  "http://h/a/b#fragment",
  "http://h/x/y z",
  "http://h//segment",
  "http://h:80/p/q",
  "http://h/api/callback/",
  "http://h/ünïcode/id1",
  "http://h/tasks/a%2Fb",
  "http://h",
  "http://h\\a/seg",
  "http://h/a/../seg",
  "http://h/a#x/b",
  "http://h/a?x#/b"
]

describe("requestTarget", () => {
  it("takes every URL apart as Node's client does, those sharing a prefix included, on every call", () => {
    for (const round of [1, 2]) {
      for (const url of URLS) {
        expect({ round, url, target: { ...requestTarget(url) } }).toEqual({ round, url, target: { ...urlToHttpOptions(new URL(url)) } })
      }
    }
  })

  it("throws on a URL that does not parse, as http.request would", () => {
    expect(() => requestTarget("not a url/trun_1")).toThrow()
    expect(() => requestTarget("http://[::1/x/trun_1")).toThrow()
  })
})
