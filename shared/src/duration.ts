/**
 * Words for a predicted duration, the same in the CLI ("estimate: about 3 min on CPU"), the
 * panel and (mirrored in Python) the GIMP dialog: "a few seconds", "about 40 s", "about 3 min",
 * "about 1 h 20 min".
 */
export function describeDuration(seconds: number): string {
  if (seconds < 10) return "a few seconds";
  if (seconds < 60) return `about ${Math.round(seconds / 5) * 5} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `about ${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest === 0 ? `about ${hours} h` : `about ${hours} h ${rest} min`;
}
