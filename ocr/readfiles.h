/* esurat-worker --read: the OCR pipeline on files, without the database,
 * for scripts/bench-ocr and for a look at what the worker makes of a
 * scan. One JSON object per file on stdout, in the order given. */
#ifndef ESURAT_OCR_READFILES_H
#define ESURAT_OCR_READFILES_H

#include "pool.h"

/* Reads files[0..n) with a pool of cfg; returns the exit status (0 when
 * every file was read). */
int readfiles_run(const pool_config_t *cfg, char **files, int n);

#endif
