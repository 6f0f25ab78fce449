"""A day of work through the front nginx of the cluster that
scripts/cluster-test built, a web host and an OCR host cut off the network
half way, and the checks that nothing was lost.

Run by scripts/cluster-test inside the front's network namespace:

    python3 day.py --config CONFIG.json

CONFIG (written by scripts/cluster-test) names the front, the web hosts'
nginx, the letters (scripts/gen-letters output), the password of the demo
users, the commands that cut and heal the two hosts, the psql command line
of the database and the log files of the OCR hosts and the front.

The day: the front desk (umum) registers each letter, routed to the
Walikota, and uploads its scan; the Walikota disposes it to the Sekretaris
Daerah; the archivist searches earlier letters; the Sekretaris Daerah reads
the inbox. Three clients work at once and two archivists read all day, so
requests are in flight when the cut comes. A request that started before
the cut was done (the two `ip link` commands) and ended after it began was
"in flight"; every other request must have its expected answer. Then, with
both hosts back on the network:

  - every request that started after the cut was answered by the other
    web host (the front's log says who answered each tagged request);
  - every answered registration is in the database exactly once, and a
    registration in flight at most once (nothing is ever registered twice);
  - every scan was read exactly once: its OCR job is done, its pages are
    stored once, and no two workers wrote a result for it;
  - every letter is found by search on both web hosts, asked directly:
    by the words of its subject, and by a word of its scan's OCR text
    (so the index each host reads has the text the OCR host wrote); a
    letter whose registration was in flight and committed is found too.

Exits 0 when all holds, 1 otherwise, after printing a summary. Python 3
standard library only.
"""

import argparse
import json
import os
import queue
import re
import subprocess
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from harness import Session  # noqa: E402


class Host:
    """What harness.Session needs to reach one nginx."""

    def __init__(self, url, password):
        u = urllib.parse.urlsplit(url)
        self.host, self.port, self.password = u.hostname, u.port, password


class Log:
    """Every request of the day: tag, what, start, end, status."""

    def __init__(self):
        self.lock = threading.Lock()
        self.entries = []
        self.n = 0

    def tag(self):
        with self.lock:
            self.n += 1
            return "r%05d" % self.n

    def add(self, entry):
        with self.lock:
            self.entries.append(entry)


class Client:
    """One user's session through the front, every request tagged and timed."""

    def __init__(self, front, log, user, run):
        self.s = Session(front)
        self.log, self.user, self.run = log, user, run

    def call(self, what, method, path, expect, **kw):
        tag = "%s-%s" % (self.run, self.log.tag())
        headers = dict(kw.pop("headers", {}) or {})
        headers["X-Request-Tag"] = tag
        t0 = time.monotonic()
        status, r = 0, None
        try:
            r = self.s.request(method, path, headers=headers, timeout=kw.pop("timeout", 60), **kw)
            status = r.status
        except OSError as e:  # the front itself never goes away; report it
            status = -1
            r = None
            print("  %s %s %s: %s" % (self.user, method, path, e), file=sys.stderr)
        t1 = time.monotonic()
        self.log.add({"tag": tag, "user": self.user, "what": what, "method": method, "path": path,
                      "start": t0, "end": t1, "status": status, "ok": status in expect})
        return r if status in expect else None

    def login(self, password):
        r = self.call("login", "POST", "/api/auth/login", (200,),
                      json={"username": self.user, "password": password})
        if not r:
            raise SystemExit("day: %s could not sign in" % self.user)
        self.s.csrf_token = r.json["csrf_token"]
        return r.json


def psql(cfg, sql):
    """The rows of a query, as dicts by column name (through JSON: texts
    may hold newlines)."""
    wrapped = "SELECT coalesce(json_agg(to_json(q)), '[]') FROM (%s) q" % sql
    out = subprocess.run(cfg["psql"] + ["-X", "-A", "-t", "-c", wrapped], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def dir_bytes(path, changesets):
    """Bytes of the Xapian database at path (the link followed): its
    tables, or (changesets true) the changesets kept for the replicas."""
    total = 0
    for d, _, files in os.walk(os.path.realpath(path)):
        total += sum(os.path.getsize(os.path.join(d, f)) for f in files
                     if f.startswith("changes") == changesets)
    return total


def sizes(cfg):
    """What grows with the letters: the database, table by table (with
    indexes and TOAST), and the indexer's live index."""
    rows = psql(cfg, "SELECT c.relname AS t, pg_total_relation_size(c.oid) AS b FROM pg_class c"
                     " JOIN pg_namespace n ON n.oid = c.relnamespace"
                     " WHERE c.relkind = 'r' AND n.nspname = 'public'")
    out = {r["t"]: r["b"] for r in rows}
    out["(database)"] = psql(cfg, "SELECT pg_database_size(current_database()) AS b")[0]["b"]
    out["(index)"] = dir_bytes(os.path.join(cfg["index_dir"], "current"), False)
    out["(changesets)"] = dir_bytes(os.path.join(cfg["index_dir"], "current"), True)
    return out


def word_of(text, avoid):
    """A long word of an OCR text, not among the words to avoid (metadata)."""
    words = sorted({w.lower() for w in re.findall(r"[A-Za-z]{8,}", text)} - avoid, key=lambda w: (-len(w), w))
    return words[0] if words else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True)
    args = ap.parse_args()
    cfg = json.load(open(args.config))
    run = cfg["run"]  # a tag of this run, lower-case letters and digits
    front = Host(cfg["front"], cfg["password"])
    letters = json.load(open(os.path.join(cfg["letters"], "manifest.json")))
    log = Log()
    failures = []

    # Sign in (through the front; sessions live in PostgreSQL, so any web
    # host knows them).
    umum = [Client(front, log, "umum", run) for _ in range(cfg["clients"])]
    for c in umum:
        c.login(cfg["password"])
    walikota = Client(front, log, "walikota", run)
    me = walikota.login(cfg["password"])
    walikota_pos = me["user"]["positions"][0]["id"]
    sekda = Client(front, log, "sekda", run)
    sekda_pos = sekda.login(cfg["password"])["user"]["positions"][0]["id"]
    arsiparis = Client(front, log, "arsiparis", run)
    arsiparis.login(cfg["password"])
    lock = threading.Lock()  # walikota, sekda and arsiparis are shared by the threads
    sizes_before = sizes(cfg)

    half = len(letters) // 2
    todo = queue.Queue()
    for i, entry in enumerate(letters[:half]):
        todo.put((i + 1, entry))
    done = {}  # i -> {"letter": id, "scan": id, "disposition": id, "word": subject word}
    uncertain = {}  # i -> the registration was in flight (answered or not)
    registered = [0]
    finished = [0]

    def one_letter(client, i, entry):
        f = entry["fields"]
        key = "%sx%d" % (run, i)  # one search term per letter
        body = {"direction": "in", "letter_number": f["letter_number"], "letter_date": f["letter_date"],
                "sender": f["sender"], "recipient": "Walikota Pekanbaru",
                "subject": "%s %s" % (f["subject"], key), "summary": "Surat uji klaster %s." % key,
                "to_position_id": walikota_pos}
        r = client.call("register", "POST", "/api/letters", (201,), json=body)
        with lock:
            registered[0] += 1
        if not r:
            uncertain[i] = key
            return
        letter = r.json["id"]
        rec = {"letter": letter, "key": key, "number": f["letter_number"], "subject": body["subject"]}
        done[i] = rec
        data = open(os.path.join(cfg["letters"], entry["file"]), "rb").read()
        r = client.call("upload", "POST", "/api/letters/%d/scans" % letter, (201,), data=data,
                        headers={"Content-Type": entry["mime"], "X-File-Name": entry["file"]})
        if r:
            rec["scan"] = r.json["id"]
        with lock:
            r = walikota.call("dispose", "POST", "/api/letters/%d/dispositions" % letter, (201,),
                              json={"to": [sekda_pos], "instructions": ["tindak_lanjuti"],
                                    "note": "Mohon ditindaklanjuti %s." % key})
            if r:
                rec["disposition"] = r.json["items"][0]["id"]
            if i > 2:
                arsiparis.call("search", "GET", "/api/search?q=%sx%d" % (run, i - 2), (200,))
            sekda.call("inbox", "GET", "/api/inbox?status=open&limit=20", (200,))
            finished[0] += 1

    def worker(client):
        while True:
            try:
                i, entry = todo.get_nowait()
            except queue.Empty:
                return
            one_letter(client, i, entry)

    def start_clients():
        threads = [threading.Thread(target=worker, args=(c,)) for c in umum]
        for t in threads:
            t.start()
        return threads

    def run_clients():
        for t in start_clients():
            t.join()

    # Readers all day long, so that requests are in flight at any moment.
    stop_reading = threading.Event()

    def reader(n):
        c = Client(front, log, "arsiparis", run)
        c.login(cfg["password"])
        k = 0
        while not stop_reading.is_set():
            k += 1
            if k % 2:
                c.call("search", "GET", "/api/search?q=%sx%d" % (run, 1 + (k + n) % max(1, len(done))), (200,))
            else:
                c.call("letters", "GET", "/api/letters?limit=20", (200,))
            time.sleep(0.05)

    def results_per_host():
        return [len(re.findall(r"ocr job \d+ \(scan \d+\): \d+ pages read", open(p, errors="replace").read()))
                for p in cfg["ocr_logs"]]

    readers = [threading.Thread(target=reader, args=(n,)) for n in range(2)]
    t_start = time.monotonic()
    for t in readers:
        t.start()
    # The first half of the day. The second half starts when both OCR hosts
    # have written results (so that the one cut off was working), and the
    # cut comes (both hosts at once) when its first registrations are
    # answered, amid uploads, dispositions and the readers' requests.
    run_clients()
    deadline = time.monotonic() + cfg["ocr_timeout"]
    while min(results_per_host()) == 0 and time.monotonic() < deadline:
        time.sleep(0.2)
    before_cut = results_per_host()
    for i, entry in enumerate(letters[half:]):
        todo.put((half + i + 1, entry))
    threads = start_clients()
    while registered[0] < half + 2 and any(t.is_alive() for t in threads):
        time.sleep(0.01)
    # The cut takes a moment: a request started while it runs may reach the
    # host being cut, and counts as in flight.
    t_cut = time.monotonic()
    subprocess.run(cfg["cut"], shell=True, check=True)
    t_cut_done = time.monotonic()
    print("day: cut %s after %d of %d letters (%d registrations, scans read per OCR host %s; %.1f s into the day)"
          % (cfg["cut_names"], finished[0], len(letters), registered[0], before_cut, t_cut - t_start))
    if min(before_cut) == 0:
        failures.append("an OCR host had read nothing when the cut came: %s" % before_cut)
    for t in threads:
        t.join()
    stop_reading.set()
    for t in readers:
        t.join()
    t_end = time.monotonic()

    # Every scan read: the OCR host left must take the cut one's jobs over
    # once their leases run out.
    scans = [rec["scan"] for rec in done.values() if "scan" in rec]
    ids = ",".join(str(s) for s in scans) or "0"
    deadline = time.monotonic() + cfg["ocr_timeout"]
    while True:
        rows = psql(cfg, "SELECT status, count(*) AS n FROM ocr_jobs WHERE scan_id IN (%s) GROUP BY status" % ids)
        states = {row["status"]: row["n"] for row in rows}
        if states.get("done", 0) + states.get("failed", 0) == len(scans) or time.monotonic() > deadline:
            break
        time.sleep(1)
    t_ocr = time.monotonic()
    print("day: %d letters registered, %d scans read in %.1f s after the last upload (%s)"
          % (len(done), states.get("done", 0), t_ocr - t_end, states))

    subprocess.run(cfg["heal"], shell=True, check=True)
    print("day: %s back on the network" % cfg["cut_names"])

    # ---------------------------------------------------------------- checks

    # 1. Requests: not in flight at the cut => answered as expected.
    in_flight = [e for e in log.entries if e["start"] < t_cut_done and e["end"] > t_cut]
    bad = [e for e in log.entries if not e["ok"] and e not in in_flight]
    for e in bad:
        failures.append("request %s %s %s (%s) answered %d, not in flight at the cut"
                        % (e["tag"], e["method"], e["path"], e["user"], e["status"]))
    print("day: %d requests, %d in flight at the cut (%d of those failed), %d others failed"
          % (len(log.entries), len(in_flight), sum(not e["ok"] for e in in_flight), len(bad)))

    # 2. After the cut, the other web host answered (the front's log).
    time.sleep(1.5)  # the front's access log is flushed every second
    answered_by = {}
    for line in open(cfg["front_log"], errors="replace"):
        m = re.search(r"upstream=(\S+(?:, \S+)*) upstream_status=\S+(?:, \S+)* .*req=(\S+)", line)
        if m and m.group(2).startswith(run + "-"):
            answered_by[m.group(2)] = m.group(1).split(", ")[-1]
    after = [e for e in log.entries if e["start"] > t_cut_done]
    cut_web = cfg["cut_web"]
    wrong = [e for e in after if answered_by.get(e["tag"]) in (None, cut_web)]
    for e in wrong[:10]:
        failures.append("request %s (%s %s) after the cut: answered by %s"
                        % (e["tag"], e["method"], e["path"], answered_by.get(e["tag"], "nobody in the log")))
    hosts = {}
    for e in after:
        hosts[answered_by.get(e["tag"])] = hosts.get(answered_by.get(e["tag"]), 0) + 1
    before = [e for e in log.entries if e["end"] < t_cut]
    hosts_before = {}
    for e in before:
        hosts_before[answered_by.get(e["tag"])] = hosts_before.get(answered_by.get(e["tag"]), 0) + 1
    print("day: before the cut answered by %s; after it by %s" % (hosts_before, hosts))
    if len(hosts_before) < 2:
        failures.append("before the cut only %s answered: the front did not balance" % hosts_before)

    # 3. Registrations: answered ones once, in-flight ones at most once.
    counts = {}
    ids_by_key = {}
    for row in psql(cfg, "SELECT id, subject FROM letters WHERE subject LIKE '%% %sx%%'" % run):
        key = row["subject"].rsplit(" ", 1)[-1]
        counts[key] = counts.get(key, 0) + 1
        ids_by_key[key] = row["id"]
    for i, rec in done.items():
        if counts.get(rec["key"], 0) != 1:
            failures.append("letter %s (answered 201) is in the database %d times" % (rec["key"], counts.get(rec["key"], 0)))
    for i, key in uncertain.items():
        if counts.get(key, 0) > 1:
            failures.append("letter %s (registration in flight) is in the database %d times" % (key, counts[key]))
    print("day: registrations answered %d, in flight %d (of which %d committed)"
          % (len(done), len(uncertain), sum(counts.get(k, 0) for k in uncertain.values())))

    # 4. Search on both web hosts, directly.
    ocr_text = {}
    for row in psql(cfg, "SELECT scan_id, string_agg(text, ' ' ORDER BY page) AS text FROM page_texts"
                         " WHERE scan_id IN (%s) GROUP BY scan_id" % ids):
        ocr_text[row["scan_id"]] = row["text"]
    for name, url in cfg["web"].items():
        s = Session(Host(url, cfg["password"]))
        deadline = time.monotonic() + cfg["search_timeout"]
        while True:  # the host cut off may still be catching up
            try:
                r = s.login("arsiparis")
            except OSError:
                r = None
            if r is not None and r.status == 200:
                break
            if time.monotonic() > deadline:
                failures.append("%s: arsiparis cannot sign in directly" % name)
                break
            time.sleep(1)
        missing = []
        # The letters answered, and those whose answer was lost in the cut
        # but which were registered all the same.
        wanted = dict(done)
        for i, key in uncertain.items():
            if key in ids_by_key:
                wanted[i] = {"letter": ids_by_key[key], "key": key, "number": "", "subject": ""}
        for i, rec in sorted(wanted.items()):
            avoid = {w.lower() for w in re.findall(r"[A-Za-z]+", rec["subject"] + " " + rec["number"])}
            word = word_of(ocr_text.get(rec.get("scan"), ""), avoid)
            queries = ["q=%s" % rec["key"]]
            if word:
                queries.append("q=%s&number=%s" % (urllib.parse.quote(word), urllib.parse.quote(rec["number"])))
            for q in queries:
                while True:
                    try:
                        r = s.get("/api/search?%s&limit=5" % q)
                        ids_found = [it["letter"]["id"] for it in (r.json or {}).get("items", [])]
                    except OSError:
                        ids_found = []
                    if rec["letter"] in ids_found:
                        break
                    if time.monotonic() > deadline:
                        missing.append("%s (%s)" % (rec["key"], urllib.parse.unquote(q)))
                        break
                    time.sleep(0.5)
        for m in missing:
            failures.append("%s: search does not find letter %s" % (name, m))
        print("day: %s finds %d of %d letters by subject and by OCR text"
              % (name, len(wanted) - len({m.split()[0] for m in missing}), len(wanted)))

    # 5. Every scan read exactly once (last: the OCR host back on the
    #    network has had time to try to write what it read meanwhile).
    rows = psql(cfg, "SELECT j.scan_id AS scan, j.status, j.attempts, coalesce(s.pages, 0) AS pages,"
                     " (SELECT count(*) FROM page_texts p WHERE p.scan_id = s.id) AS texts,"
                     " (SELECT count(DISTINCT page) FROM page_texts p WHERE p.scan_id = s.id) AS distinct_pages"
                     " FROM ocr_jobs j JOIN scans s ON s.id = j.scan_id WHERE j.scan_id IN (%s)" % ids)
    written = {}
    for path in cfg["ocr_logs"]:
        for line in open(path, errors="replace"):
            m = re.search(r"ocr job (\d+) \(scan (\d+)\): \d+ pages read", line)
            if m:
                written[m.group(2)] = written.get(m.group(2), 0) + 1
    taken_over = 0
    for row in rows:
        scan = str(row["scan"])
        if row["status"] != "done" or row["pages"] < 1 or row["texts"] != row["pages"] or \
                row["distinct_pages"] != row["pages"]:
            failures.append("scan %s: OCR %s, %d pages, %d page texts" % (scan, row["status"], row["pages"], row["texts"]))
        if written.get(scan, 0) > 1:
            failures.append("scan %s: %d results written (read more than once)" % (scan, written[scan]))
        taken_over += row["attempts"] > 1
    if len(rows) != len(scans):
        failures.append("%d scans uploaded, %d OCR jobs" % (len(scans), len(rows)))
    def refused():
        return sum(len(re.findall(r"lease was lost \(another worker has it\); result dropped",
                                  open(p, errors="replace").read())) for p in cfg["ocr_logs"])

    # The host that was cut off writes what it read meanwhile once it is
    # back, and is refused (its lease is gone): wait a little to see it.
    deadline = time.monotonic() + 20
    while refused() < taken_over and time.monotonic() < deadline:
        time.sleep(0.5)
    dropped = refused()
    per_host = results_per_host()
    print("day: %d scans read once each (results written per OCR host: %s); %d jobs taken over from the cut host,"
          " %d late results refused" % (len(rows), per_host, taken_over, dropped))

    # What the day cost: growth per letter, OCR time per page.
    grown = {k: v - sizes_before.get(k, 0) for k, v in sizes(cfg).items()}
    n = max(1, len(done))
    top = sorted(((v, k) for k, v in grown.items() if not k.startswith("(") and v > 0), reverse=True)[:5]
    seconds = [float(x) for p in cfg["ocr_logs"]
               for x in re.findall(r"ocr job \d+ \(scan \d+\): 1 pages read in ([0-9.]+) s",
                                   open(p, errors="replace").read())]
    print("day: growth per letter: database %.1f KiB (%s), index %.1f KiB (and %.1f KiB of changesets kept for"
          " the replicas); OCR %.2f s per page (mean of %d)"
          % (grown["(database)"] / n / 1024, ", ".join("%s %.1f" % (k, v / n / 1024) for v, k in top),
             grown["(index)"] / n / 1024, grown["(changesets)"] / n / 1024, sum(seconds) / max(1, len(seconds)),
             len(seconds)))

    print("day: %d letters, %d requests in %.1f s; the cut at %.1f s"
          % (len(letters), len(log.entries), t_end - t_start, t_cut - t_start))
    if failures:
        print("day: FAILED")
        for f in failures:
            print("  - " + f)
        return 1
    print("day: nothing lost")
    return 0


if __name__ == "__main__":
    sys.exit(main())
