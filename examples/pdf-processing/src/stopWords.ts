/** Common English words that carry no topic, left out of keyword and sentence scores. */
export const stopWords: ReadonlySet<string> = new Set(
  (
    "a about above after again against all also am an and any are as at be because been before being below " +
    "between both but by can could did do does doing down during each either even ever every few for from " +
    "further had has have having he her here hers herself him himself his how however i if in into is it its " +
    "itself just least less let like made make many may me might more most much must my myself neither no nor " +
    "not now of off often on once one only or other our ours ourselves out over own per rather same shall she " +
    "should since so some still such than that the their theirs them themselves then there these they this " +
    "those though through thus to too two under until up upon us very was we were what when where whether which " +
    "while who whom whose why will with within without would yet you your yours yourself yourselves"
  ).split(" ")
)
