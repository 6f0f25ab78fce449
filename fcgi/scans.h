/* Scans of letters (API.md, Letters): upload into the scan store, the
 * original bytes through nginx (X-Accel-Redirect), the OCR text. A scan
 * of a letter the caller may not see answers 404, as one that does not
 * exist: every query checks letter_visible() in SQL. */
#ifndef ESURAT_SCANS_H
#define ESURAT_SCANS_H

#include "request.h"

/* POST /api/letters/{id}/scans: the raw file as the body, or
 * {"scan_id"} (application/json) to attach the caller's draft scan. */
void scans_upload(request_t *req);

/* POST /api/scans: a draft scan, before its letter is registered; read
 * first by the OCR workers. Only its uploader sees it until
 * POST /api/letters/{id}/scans with {"scan_id"} attaches it. */
void scans_upload_draft(request_t *req);

/* GET /api/scans/{id}/suggestions: number, date, subject and sender read
 * from the scan's first page. */
void scans_suggestions(request_t *req);

/* POST /api/scans/{id}/ocr/retry: a failed OCR job queued again. */
void scans_ocr_retry(request_t *req);

/* GET /api/scans/{id}/file: headers only; nginx sends the bytes. */
void scans_file(request_t *req);

/* GET /api/scans/{id}/text: the OCR status and the text per page. */
void scans_text(request_t *req);

#endif
