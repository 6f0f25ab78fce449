/* The clock of calendar questions: agenda years, {tahun}/{bulan} of
 * outgoing numbers, "today" for deadlines and overdue dispositions.
 *
 * Test hook: when the environment variable ESURAT_TEST_NOW holds a
 * timestamp ("2015-12-31T23:59:59+07:00"), it replaces now() for those
 * questions (timestamps written to rows stay real). Read once per process;
 * for tests only (tests/integration/test_letters.py,
 * test_dispositions.py). */
#ifndef ESURAT_CLOCK_H
#define ESURAT_CLOCK_H

/* ESURAT_TEST_NOW, or NULL. Passed to SQL as $n::timestamptz, NULL
 * meaning now(): coalesce($n::timestamptz, now()). */
const char *clock_test_now(void);

#endif
