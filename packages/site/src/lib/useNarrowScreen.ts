import { useEffect, useState } from "preact/hooks"

/** The phone breakpoint of site.css. */
const NARROW = "(max-width: 760px)"

/** Whether the screen is phone-narrow, following changes (rotation, window resize). */
export const useNarrowScreen = (): boolean => {
  const [narrow, setNarrow] = useState(() => window.matchMedia(NARROW).matches)
  useEffect(() => {
    const query = window.matchMedia(NARROW)
    const update = () => setNarrow(query.matches)
    query.addEventListener("change", update)
    return () => query.removeEventListener("change", update)
  }, [])
  return narrow
}
