/**
 * The human message inside an OpenAI-compatible server's error body, whatever dialect it speaks
 * (OpenAI, vLLM old and new, SGLang, TGI, Ollama, retort serve, FastAPI validation errors), or the
 * text itself when it is not JSON. Long messages are cut at 1,000 characters.
 */
export function serverErrorMessage(text: string, max = 1000): string {
  const trimmed = text.trim();
  let body: any;
  try {
    body = JSON.parse(trimmed);
  } catch {
    return truncate(trimmed, max);
  }
  const pick = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
  const detail = (d: unknown): string | undefined => pick(d) ?? (Array.isArray(d) ? d.map((x) => pick(x?.msg) ?? JSON.stringify(x)).join('; ') : undefined);
  const found =
    pick(body?.error?.message) ?? // OpenAI, Ollama, DeepSeek, vLLM ≥ 0.10, retort serve
    pick(body?.error) ?? // TGI, Ollama native
    pick(body?.message) ?? // older vLLM ({object: "error", message, ...}), SGLang
    detail(body?.detail); // FastAPI validation errors (a malformed body)
  return truncate(found ?? trimmed, max);
}

function truncate(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
