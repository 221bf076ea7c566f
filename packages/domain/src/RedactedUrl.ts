/**
 * A URL as it may be shown (API answers, run errors, logs): any userinfo (`user:password@`) is
 * replaced by `***@`. Text that does not parse as a URL is returned with `scheme://…@` redacted.
 */
export const redactUrl = (url: string): string => {
  try {
    const parsed = new URL(url)
    if (parsed.username === "" && parsed.password === "") return url
    parsed.username = ""
    parsed.password = ""
    return parsed.toString().replace(/^([a-z][a-z0-9+.-]*:\/\/)/i, "$1***@")
  } catch {
    return redactUrlsIn(url)
  }
}

/** `redactUrl` for every `scheme://user@host` inside a longer text (an error message, say). */
export const redactUrlsIn = (text: string): string => text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^\s/@?#]*@/gi, "$1***@")
