// A client written from the OpenAPI document alone: login, a draft, the notice, details, an upload,
// submission, then the record. Type-checked by the test suite (tsc --noEmit), so a change to the
// contract that breaks this flow shows up as a compile error here.
import type { components, paths } from "./api";

type Json<P extends keyof paths, M extends keyof paths[P], S extends number> =
  paths[P][M] extends { responses: { [K in S]: { content: { "application/json": infer B } } } } ? B : never;
type Body<P extends keyof paths, M extends keyof paths[P]> =
  paths[P][M] extends { requestBody?: { content: { "application/json": infer B } } } ? B : never;

declare function call<T>(method: string, path: string, body?: unknown, token?: string): Promise<T>;

export async function fileOnce(code: string): Promise<components["schemas"]["RecordDetail"]> {
  const login = await call<Json<"/api/v1/auth/wechat", "post", 200>>("POST", "/api/v1/auth/wechat", { code });
  const token: string = login.token;

  const start: Body<"/api/v1/filings", "post"> = { applicant: "self", visit_region_code: "310000",
                                                   filing_type: "long_term_resident" };
  const draft = await call<Json<"/api/v1/filings", "post", 201>>("POST", "/api/v1/filings", start, token);
  const notice = await call<Json<"/api/v1/notices/{insured_region_code}/{filing_type}", "get", 200>>(
    "GET", `/api/v1/notices/${draft.insured_region_code}/${draft.filing_type}`);
  await call("POST", `/api/v1/filings/${draft.id}/notice`, { version: notice.version }, token);
  const details: Body<"/api/v1/filings/{filing_id}", "patch"> = {
    start_date: "2026-12-01", contact_name: "张三", contact_phone: "13800138000", address: "上海市浦东新区" };
  const filled = await call<components["schemas"]["FilingView"]>("PATCH", `/api/v1/filings/${draft.id}`, details, token);
  const docCode: string = filled.proof_options?.documents[0]?.code ?? "residence_permit";
  // multipart/form-data: file + doc_code (wx.uploadFile with name "file" and formData {doc_code})
  const uploaded = await call<Json<"/api/v1/filings/{filing_id}/documents", "post", 201>>(
    "POST", `/api/v1/filings/${draft.id}/documents`, { doc_code: docCode }, token);
  const imageSrc: string = uploaded.document.url;  // signed: usable in <image src> without a header
  void imageSrc;

  const submitted = await call<Json<"/api/v1/filings/{filing_id}/submit", "post", 200>>(
    "POST", `/api/v1/filings/${draft.id}/submit`, undefined, token);
  const number: string | null = submitted.result?.number ?? null;
  void number;
  const drafts = await call<Json<"/api/v1/filings", "get", 200>>("GET", "/api/v1/filings", undefined, token);
  const resumable: number[] = drafts.items.map((d) => d.id);
  void resumable;
  return call<Json<"/api/v1/records/{filing_id}", "get", 200>>("GET", `/api/v1/records/${draft.id}`, undefined, token);
}

export function describe(reply: components["schemas"]["ChatTurn"]["replies"][number]): string {
  switch (reply.type) {
    case "text": return reply.text;
    case "options": return reply.options.map((o) => o.label).join(" / ");
    default: return reply.card === "summary" ? reply.actions.map((a) => a.value).join(",") : reply.card;
  }
}
