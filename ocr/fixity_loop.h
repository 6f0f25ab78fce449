/* esurat-worker's fixity thread: checks the scan store continuously at a
 * low rate, so that every stored file is read and hashed again at least
 * once every ESURAT_FIXITY_DAYS (default 7, well within a month), the
 * never-checked files first (core/fixity.h). Its own thread and its own
 * database connection; nothing shared with the rest of the worker.
 *
 * Settings (environment):
 *   ESURAT_FIXITY_SECONDS   wake-up interval (default 60; 0 turns it off)
 *   ESURAT_FIXITY_DAYS      every file checked again within (default 7)
 *   ESURAT_FIXITY_MBPS      reading at most this many MB/s (default 8)
 *   ESURAT_SCAN_DIR, ESURAT_DATABASE_URL */
#ifndef ESURAT_FIXITY_LOOP_H
#define ESURAT_FIXITY_LOOP_H

/* Starts the thread (signals blocked in it); 0, or -1 (logged; the worker
 * goes on without it). */
int fixity_loop_start(void);

/* Asks the thread to stop and waits for it; harmless when not started. */
void fixity_loop_stop(void);

#endif
