"""The administrator's API (fcgi/admin*.c, sql/011_admin.sql) over the real
nginx, esurat-fcgi and PostgreSQL: users (roles, NIP, passwords, and a
deactivation that ends the user's next request at once), units and their
number templates (checked, previewed, and used for the next outgoing
letter), positions (no cycles), appointments (overlapping definitive
holders refused; a Plt appointed today sees the position's inbox, and loses
it when the appointment ends), classification codes and the import of a
region's table (all or nothing, the bad line named); the rights (admin
only, CSRF); every change in the audit chain, which still verifies; and a
letter page already kept in letter_docs showing the new names."""

import datetime
import os
import sys
import unittest
import zoneinfo

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Stack, eventually  # noqa: E402

JAKARTA = zoneinfo.ZoneInfo("Asia/Jakarta")
# Enough requests that both esurat-fcgi workers answer some of them.
SPREAD = 12
PASSWORD = "Sandi-Baru-2015"


def today():
    return datetime.datetime.now(JAKARTA).date()


def day(offset):
    return (today() + datetime.timedelta(days=offset)).isoformat()


class AdminTest(unittest.TestCase):
    maxDiff = None
    counter = 0

    @classmethod
    def setUpClass(cls):
        # Sessions trusted for a minute: what ends one sooner is the
        # database's notification, not the clock.
        cls.stack = Stack(env={"ESURAT_SESSION_CACHE_MS": "60000"})
        cls.addClassCleanup(cls.stack.stop)
        cls.admin = cls.stack.session()
        assert cls.admin.login("admin").status == 200
        rows = cls.stack.psql("SELECT title || '|' || id FROM positions")
        cls.pos = {title: int(i) for title, i in (line.split("|") for line in rows.splitlines())}
        rows = cls.stack.psql("SELECT code || '|' || id FROM units")
        cls.units = {code: int(i) for code, i in (line.split("|") for line in rows.splitlines())}

    @classmethod
    def unique(cls, prefix):
        cls.counter += 1
        return "%s%d" % (prefix, cls.counter)

    # ------------------------------------------------------------ helpers
    def assertError(self, r, status, code, field=None):
        self.assertEqual(r.status, status, r)
        err = (r.json or {}).get("error")
        self.assertIsInstance(err, dict, r)
        self.assertEqual(err.get("code"), code, r)
        self.assertTrue(err.get("message"), r)
        if field is not None:
            self.assertEqual(err.get("field"), field, r)

    def login(self, username, password=None):
        s = self.stack.session()
        r = s.login(username, password)
        self.assertEqual(r.status, 200, r)
        return s

    def audit_count(self):
        return int(self.stack.psql("SELECT count(*) FROM audit_log"))

    def last_audit(self):
        return self.stack.psql("SELECT action || '|' || coalesce(object_id, '') FROM audit_log ORDER BY id DESC LIMIT 1")

    def create_user(self, roles=("official",), **kw):
        body = {"username": self.unique("pegawai."), "name": "Pegawai Uji", "roles": list(roles), "password": PASSWORD}
        body.update(kw)
        r = self.admin.post("/api/users", json=body)
        self.assertEqual(r.status, 201, r)
        return r.json

    def create_position(self, parent="Walikota Pekanbaru", unit="Pemko", **kw):
        body = {"title": self.unique("Staf Ahli Walikota "), "unit_id": self.units[unit], "parent_id": self.pos[parent]}
        body.update(kw)
        r = self.admin.post("/api/positions", json=body)
        self.assertEqual(r.status, 201, r)
        return r.json

    def appoint(self, position_id, user_id, kind="plt", status=201, **kw):
        body = {"user_id": user_id, "kind": kind}
        body.update(kw)
        r = self.admin.post("/api/positions/%d/holders" % position_id, json=body)
        self.assertEqual(r.status, status, r)
        return r

    def register(self, to_position_id):
        umum = self.login("umum")
        r = umum.post("/api/letters", json={
            "direction": "in", "letter_number": self.unique("005/") + "/Disdik/2015", "letter_date": "2015-01-20",
            "sender": "Dinas Pendidikan", "recipient": "Walikota Pekanbaru", "subject": "Undangan Rapat Koordinasi",
            "to_position_id": to_position_id})
        self.assertEqual(r.status, 201, r)
        return r.json

    # ------------------------------------------------------------ users
    def test_users_list_search_and_pages(self):
        r = self.admin.get("/api/users?q=walikota")
        self.assertEqual(r.status, 200, r)
        [w] = r.json["items"]
        self.assertEqual((w["username"], w["roles"], w["active"]), ("walikota", ["official"], True))
        self.assertEqual([p["title"] for p in w["positions"]], ["Walikota Pekanbaru"])
        self.assertIsNone(r.json["next_cursor"])
        # Every user once, page by page, in user-name order.
        seen, cursor = [], ""
        while True:
            r = self.admin.get("/api/users?limit=2" + ("&cursor=" + cursor if cursor else ""))
            self.assertEqual(r.status, 200, r)
            self.assertLessEqual(len(r.json["items"]), 2)
            seen += [u["username"] for u in r.json["items"]]
            cursor = r.json["next_cursor"]
            if not cursor:
                break
        names = self.stack.psql("SELECT string_agg(username, ',' ORDER BY username) FROM users").split(",")
        self.assertEqual(seen, names)
        self.assertError(self.admin.get("/api/users?limit=0"), 400, "invalid_query", "limit")
        self.assertError(self.admin.get("/api/users?active=maybe"), 400, "invalid_query", "active")
        self.assertError(self.admin.get("/api/users?cursor=%27x"), 400, "invalid_query", "cursor")

    def test_create_user_and_sign_in(self):
        before = self.audit_count()
        u = self.create_user(username="Rina.Marlina", name="  Rina Marlina, S.Sos.  ", nip="19800101 200501 2 001",
                             roles=["front_desk", "official"])
        self.assertEqual((u["username"], u["name"], u["nip"]), ("rina.marlina", "Rina Marlina, S.Sos.", "198001012005012001"))
        self.assertEqual((u["roles"], u["active"], u["positions"]), (["front_desk", "official"], True, []))
        self.assertNotIn("password_hash", u)
        self.assertEqual(self.audit_count(), before + 1)
        self.assertEqual(self.last_audit(), "user.add|%d" % u["id"])
        self.assertNotIn(PASSWORD, self.stack.psql("SELECT detail::text FROM audit_log ORDER BY id DESC LIMIT 1"))
        # A role named twice is one role.
        self.assertEqual(self.create_user(roles=["records", "records"])["roles"], ["records"])
        s = self.login("rina.marlina", PASSWORD)
        self.assertEqual(s.get("/api/me").json["roles"], ["front_desk", "official"])
        self.assertEqual(self.admin.get("/api/users/%d" % u["id"]).json, u)

        # Refusals, each changing nothing.
        count = self.stack.psql("SELECT count(*) FROM users")
        self.assertError(self.admin.post("/api/users", json={"username": "RINA.marlina", "name": "X", "password": PASSWORD}),
                         409, "conflict", "username")
        self.assertError(self.admin.post("/api/users", json={"username": "rina2", "name": "X", "nip": "198001012005012001",
                                                             "password": PASSWORD}), 409, "conflict", "nip")
        bad = [
            ({"username": "rina 3", "name": "X", "password": PASSWORD}, "username"),
            ({"username": "<script>", "name": "X", "password": PASSWORD}, "username"),
            ({"name": "X", "password": PASSWORD}, "username"),
            ({"username": "rina3", "name": " ", "password": PASSWORD}, "name"),
            ({"username": "rina3", "name": "X", "password": "pendek"}, "password"),
            ({"username": "rina3", "name": "X"}, "password"),
            ({"username": "rina3", "name": "X", "password": PASSWORD, "nip": "123"}, "nip"),
            ({"username": "rina3", "name": "X", "password": PASSWORD, "roles": ["walikota"]}, "roles"),
            ({"username": "rina3", "name": "X", "password": PASSWORD, "roles": "admin"}, "roles"),
            ({"username": "rina3", "name": "X", "password": PASSWORD, "is_admin": True}, "is_admin"),
        ]
        for body, field in bad:
            self.assertError(self.admin.post("/api/users", json=body), 400, "invalid_field", field)
        self.assertError(self.admin.post("/api/users", data="{", headers={"Content-Type": "application/json"}),
                         400, "invalid_json")
        self.assertEqual(self.stack.psql("SELECT count(*) FROM users"), count)

    def test_change_user(self):
        u = self.create_user()
        path = "/api/users/%d" % u["id"]
        r = self.admin.patch(path, json={"name": "Dra. Pegawai Uji", "nip": "198001012005012002", "roles": ["records"]})
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json["name"], r.json["nip"], r.json["roles"]), ("Dra. Pegawai Uji", "198001012005012002", ["records"]))
        detail = self.stack.psql("SELECT detail->'changes'->'roles'->>'old' || '>' || (detail->'changes'->'roles'->>'new')"
                                 " FROM audit_log WHERE action = 'user.update' ORDER BY id DESC LIMIT 1")
        self.assertEqual(detail, '["official"]>["records"]')
        # The same values again change nothing and write nothing.
        before = self.audit_count()
        self.assertEqual(self.admin.patch(path, json={"name": "Dra. Pegawai Uji"}).status, 200)
        self.assertEqual(self.audit_count(), before)
        r = self.admin.patch(path, json={"nip": None})
        self.assertIsNone(r.json["nip"])
        self.assertError(self.admin.patch(path, json={"username": "lain"}), 400, "invalid_field", "username")
        self.assertError(self.admin.patch(path, json={"active": "no"}), 400, "invalid_field", "active")
        self.assertError(self.admin.patch(path, json={}), 400, "invalid_json")
        self.assertError(self.admin.patch("/api/users/999999", json={"name": "X"}), 404, "not_found")
        self.assertError(self.admin.get("/api/users/999999"), 404, "not_found")
        # An administrator does not lock themselves out.
        me = self.admin.get("/api/me").json["id"]
        self.assertError(self.admin.patch("/api/users/%d" % me, json={"active": False}), 409, "conflict", "active")
        self.assertError(self.admin.patch("/api/users/%d" % me, json={"roles": ["records"]}), 409, "conflict", "roles")
        self.assertEqual(self.admin.get("/api/me").status, 200)

    def test_password_reset_ends_the_sessions(self):
        u = self.create_user()
        s = self.login(u["username"], PASSWORD)
        r = self.admin.patch("/api/users/%d" % u["id"], json={"password": "Sandi-Lain-2016"})
        self.assertEqual(r.status, 200, r)
        self.assertTrue(eventually(lambda: s.get("/api/me").status == 401))
        self.assertEqual(self.stack.session().login(u["username"], PASSWORD).status, 401)
        self.login(u["username"], "Sandi-Lain-2016")
        self.assertEqual(self.stack.psql("SELECT detail->>'password_reset' || '/' || (detail->>'sessions_ended')"
                                         " FROM audit_log WHERE action = 'user.update' ORDER BY id DESC LIMIT 1"), "true/1")

    def test_deactivated_user_is_signed_out_at_once(self):
        u = self.create_user()
        s = self.login(u["username"], PASSWORD)
        for _ in range(SPREAD):  # both workers remember the session
            self.assertEqual(s.get("/api/me").status, 200)
        r = self.admin.patch("/api/users/%d" % u["id"], json={"active": False})
        self.assertEqual((r.status, r.json["active"]), (200, False), r)
        self.assertTrue(eventually(lambda: s.get("/api/me").status == 401))
        for _ in range(SPREAD):
            self.assertEqual(s.get("/api/me").status, 401)
        self.assertEqual(self.stack.session().login(u["username"], PASSWORD).status, 401)
        self.assertEqual(self.stack.psql("SELECT count(*) FROM sessions WHERE user_id = %d" % u["id"]), "0")
        self.assertEqual(self.admin.get("/api/users?active=false&q=%s" % u["username"]).json["items"][0]["id"], u["id"])
        r = self.admin.patch("/api/users/%d" % u["id"], json={"active": True})
        self.assertEqual(r.status, 200, r)
        self.login(u["username"], PASSWORD)

    def test_a_role_taken_away_applies_to_the_next_request(self):
        u = self.create_user(roles=["front_desk", "records"])
        s = self.login(u["username"], PASSWORD)
        for _ in range(SPREAD):
            self.assertEqual(s.get("/api/retention?limit=1").status, 200)
        r = self.admin.patch("/api/users/%d" % u["id"], json={"roles": ["front_desk"]})
        self.assertEqual(r.status, 200, r)
        self.assertTrue(eventually(lambda: s.get("/api/retention?limit=1").status == 403))
        for _ in range(SPREAD):
            self.assertEqual(s.get("/api/retention?limit=1").status, 403)
        self.assertEqual(s.get("/api/me").json["roles"], ["front_desk"])

    # ------------------------------------------------------------ units
    def test_units_and_number_templates(self):
        r = self.admin.get("/api/units")
        self.assertEqual(r.status, 200, r)
        setda = next(u for u in r.json if u["code"] == "Setda")
        self.assertTrue(setda["number_template_default"])
        self.assertRegex(setda["number_preview"], r"^005/\d+/Setda/%d$" % today().year)

        code = self.unique("Disdik")
        tmpl = "{klasifikasi}/{urut}/%s/{bulan_romawi}/{tahun}" % code
        r = self.admin.post("/api/units", json={"code": code, "name": "Dinas Pendidikan", "parent_id": self.units["Pemko"],
                                                "number_template": tmpl})
        self.assertEqual(r.status, 201, r)
        unit = r.json
        roman = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"][today().month - 1]
        expected = "005/1/%s/%s/%d" % (code, roman, today().year)
        self.assertEqual((unit["number_template"], unit["number_template_default"], unit["number_preview"]),
                         (tmpl, False, expected))
        self.assertEqual(self.last_audit(), "unit.add|%d" % unit["id"])

        # The preview while typing, and the real number: an official of the
        # unit registers an outgoing letter and gets what was previewed.
        r = self.admin.get("/api/numbering/template-preview?unit_id=%d&template=%s" % (unit["id"], tmpl.replace("{", "%7B").replace("}", "%7D")))
        self.assertEqual((r.status, r.json.get("letter_number")), (200, expected), r)
        self.assertError(self.admin.get("/api/numbering/template-preview?template=%7Bnomor%7D"), 400, "invalid_query", "template")
        pos = self.create_position(unit_id=unit["id"], title="Kepala " + code)
        user = self.create_user()
        self.assertEqual(self.admin.post("/api/classifications", json={"code": "005", "title": "Undangan"}).status, 201)
        self.appoint(pos["id"], user["id"], kind="definitif")
        official = self.login(user["username"], PASSWORD)
        r = official.post("/api/letters", json={"direction": "out", "sender": "Dinas Pendidikan", "recipient": "Camat",
                                                "subject": "Pemberitahuan", "classification": "005"})
        self.assertEqual((r.status, r.json.get("letter_number")), (201, expected), r)

        path = "/api/units/%d" % unit["id"]
        r = self.admin.patch(path, json={"name": "Dinas Pendidikan Kota", "number_template": None})
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json["name"], r.json["number_template_default"], r.json["number_preview"]),
                         ("Dinas Pendidikan Kota", True, "005/2/%s/%d" % (code, today().year)))
        self.assertEqual(self.stack.psql("SELECT count(*) FROM number_templates WHERE unit_id = %d" % unit["id"]), "0")

        for tmpl, why in (("{klasifikasi}/{nomor}/{tahun}", "unknown placeholder"), ("{klasifikasi}/{tahun}", "{urut}"),
                          ("{urut}/{unit", "unbalanced"), ("x" * 201 + "{urut}", "at most")):
            r = self.admin.patch(path, json={"number_template": tmpl})
            self.assertError(r, 400, "invalid_field", "number_template")
            self.assertIn(why, r.json["error"]["message"])
        self.assertError(self.admin.post("/api/units", json={"code": "Setda", "name": "X"}), 409, "conflict", "code")
        self.assertError(self.admin.patch(path, json={"code": "Setda"}), 409, "conflict", "code")
        self.assertError(self.admin.post("/api/units", json={"code": "-x", "name": "X"}), 400, "invalid_field", "code")
        self.assertError(self.admin.post("/api/units", json={"code": "Y1", "name": "X", "parent_id": 999999}),
                         400, "invalid_field", "parent_id")
        self.assertError(self.admin.post("/api/units", json={"code": "Y1"}), 400, "invalid_field", "name")
        self.assertError(self.admin.patch("/api/units/999999", json={"name": "X"}), 404, "not_found")

        # No cycles: Pemko below a unit that is below it.
        r = self.admin.patch("/api/units/%d" % self.units["Pemko"], json={"parent_id": unit["id"]})
        self.assertError(r, 409, "conflict", "parent_id")
        self.assertIn("below", r.json["error"]["message"])
        self.assertError(self.admin.patch(path, json={"parent_id": unit["id"]}), 409, "conflict", "parent_id")
        self.assertEqual(self.stack.psql("SELECT parent_id IS NULL FROM units WHERE code = 'Pemko'"), "t")
        r = self.admin.patch(path, json={"parent_id": None})
        self.assertEqual((r.status, r.json["parent_id"]), (200, None), r)

    # ------------------------------------------------------------ positions
    def test_positions(self):
        p = self.create_position(is_entry_point=True)
        self.assertEqual((p["parent_id"], p["unit"]["code"], p["is_entry_point"], p["active"], p["holder"]),
                         (self.pos["Walikota Pekanbaru"], "Pemko", True, True, None))
        self.assertEqual(self.last_audit(), "position.add|%d" % p["id"])
        listed = {x["id"]: x for x in self.admin.get("/api/positions").json}
        self.assertEqual(listed[p["id"]], p)

        path = "/api/positions/%d" % p["id"]
        r = self.admin.patch(path, json={"title": "Staf Ahli Bidang Hukum", "unit_id": self.units["Setda"]})
        self.assertEqual((r.status, r.json["title"], r.json["unit"]["code"]), (200, "Staf Ahli Bidang Hukum", "Setda"), r)

        # No cycles: the Walikota below one of their subordinates, or itself.
        for parent in (p["id"], self.pos["Kepala Bagian Hukum"], self.pos["Walikota Pekanbaru"]):
            r = self.admin.patch("/api/positions/%d" % self.pos["Walikota Pekanbaru"], json={"parent_id": parent})
            self.assertError(r, 409, "conflict", "parent_id")
            if parent == self.pos["Kepala Bagian Hukum"]:
                self.assertIn("Kepala Bagian Hukum", r.json["error"]["message"])
        self.assertEqual(self.stack.psql("SELECT parent_id IS NULL FROM positions WHERE id = %d" % self.pos["Walikota Pekanbaru"]), "t")
        # Moving a position elsewhere below is fine.
        r = self.admin.patch(path, json={"parent_id": self.pos["Sekretaris Daerah"]})
        self.assertEqual((r.status, r.json["parent_id"]), (200, self.pos["Sekretaris Daerah"]), r)

        self.assertError(self.admin.post("/api/positions", json={"title": "X", "unit_id": 999999}), 400, "invalid_field", "unit_id")
        self.assertError(self.admin.post("/api/positions", json={"title": "X", "unit_id": self.units["Pemko"], "parent_id": 999999}),
                         400, "invalid_field", "parent_id")
        self.assertError(self.admin.post("/api/positions", json={"unit_id": self.units["Pemko"]}), 400, "invalid_field", "title")
        self.assertError(self.admin.post("/api/positions", json={"title": "X", "unit_id": "satu"}), 400, "invalid_field", "unit_id")
        self.assertError(self.admin.patch(path, json={"is_entry_point": 1}), 400, "invalid_field", "is_entry_point")
        self.assertError(self.admin.patch("/api/positions/999999", json={"title": "X"}), 404, "not_found")

        # Retired: out of the list dispositions choose from, still there with all=true.
        r = self.admin.patch(path, json={"active": False})
        self.assertEqual((r.status, r.json["active"]), (200, False), r)
        self.assertNotIn(p["id"], [x["id"] for x in self.admin.get("/api/positions").json])
        self.assertIn(p["id"], [x["id"] for x in self.admin.get("/api/positions?all=true").json])

    # ------------------------------------------------------------ appointments
    def test_plt_appointed_today_gets_the_inbox_and_loses_it(self):
        p = self.create_position(is_entry_point=True, title=self.unique("Kepala Dinas Kesehatan "))
        letter = self.register(p["id"])  # waits in the vacant position's inbox
        plt = self.create_user(name="dr. Plt Kesehatan")
        s = self.login(plt["username"], PASSWORD)
        self.assertEqual(s.get("/api/inbox").json["items"], [])

        r = self.appoint(p["id"], plt["id"], kind="plt", until=day(30))
        a = r.json
        self.assertEqual((a["kind"], a["from"], a["until"], a["current"], a["user"]["id"]),
                         ("plt", day(0), day(30), True, plt["id"]))
        self.assertEqual(self.last_audit(), "position.appoint|%d" % p["id"])
        inbox = s.get("/api/inbox").json["items"]
        self.assertEqual([i["letter"]["id"] for i in inbox], [letter["id"]])
        self.assertEqual(s.get("/api/me").json["positions"][0]["acting"], "plt")
        self.assertEqual(self.admin.get("/api/users/%d" % plt["id"]).json["positions"][0]["title"], p["title"])
        holder = {x["id"]: x for x in self.admin.get("/api/positions").json}[p["id"]]["holder"]
        self.assertEqual((holder["id"], holder["acting"]), (plt["id"], "plt"))
        # The Plt acts on it: opens the disposition.
        did = inbox[0]["disposition"]["id"]
        self.assertEqual(s.get("/api/dispositions/%d" % did).json["status"], "read")

        # A Plh from tomorrow does not see it today.
        plh = self.create_user()
        r = self.appoint(p["id"], plh["id"], kind="plh", **{"from": day(1), "until": day(3)})
        self.assertFalse(r.json["current"])
        self.assertEqual(self.login(plh["username"], PASSWORD).get("/api/inbox").json["items"], [])
        self.assertEqual([x["id"] for x in self.admin.get("/api/positions/%d/holders" % p["id"]).json],
                         [r.json["id"], a["id"]])

        # Ended today: it began today, so it is taken back (the audit keeps it).
        r = self.admin.delete("/api/positions/%d/holders/%d" % (p["id"], a["id"]))
        self.assertEqual(r.status, 204, r)
        self.assertEqual(self.last_audit(), "position.appointment_cancel|%d" % p["id"])
        self.assertEqual(s.get("/api/inbox").json["items"], [])
        self.assertEqual(s.get("/api/me").json["positions"], [])
        self.assertError(self.admin.delete("/api/positions/%d/holders/%d" % (p["id"], a["id"])), 404, "not_found")

    def test_appointments_rules(self):
        p = self.create_position()
        first, second, third = self.create_user(), self.create_user(), self.create_user()
        path = "/api/positions/%d/holders" % p["id"]
        a = self.appoint(p["id"], first["id"], kind="definitif", **{"from": day(-100)}).json
        # A second definitive holder overlapping the first: refused, nothing written.
        before = self.stack.psql("SELECT count(*) FROM position_holders")
        r = self.appoint(p["id"], second["id"], kind="definitif", status=409)
        self.assertError(r, 409, "conflict")
        self.assertIn("definitive holder", r.json["error"]["message"])
        r = self.appoint(p["id"], second["id"], kind="definitif", status=409, **{"from": day(-200), "until": day(-100)})
        self.assertError(r, 409, "conflict")
        # The same user twice at once, whatever the kind.
        self.assertError(self.appoint(p["id"], first["id"], kind="plh", status=409, until=day(5)), 409, "conflict")
        self.assertEqual(self.stack.psql("SELECT count(*) FROM position_holders"), before)
        # A Plh beside the definitive holder is what acting officials are for.
        self.appoint(p["id"], third["id"], kind="plh", until=day(5))
        # Ending the first (it began before today) keeps it until yesterday;
        # then a successor from today is fine.
        self.assertEqual(self.admin.delete("%s/%d" % (path, a["id"])).status, 204)
        self.assertEqual(self.last_audit(), "position.appointment_end|%d" % p["id"])
        self.assertEqual(self.stack.psql("SELECT valid_to FROM position_holders WHERE id = %d" % a["id"]), day(-1))
        self.assertEqual(self.admin.delete("%s/%d" % (path, a["id"])).status, 204)  # already ended: nothing more
        self.appoint(p["id"], second["id"], kind="definitif")
        # Moving the first's end into the successor's term: refused.
        self.assertError(self.admin.patch("%s/%d" % (path, a["id"]), json={"until": day(2)}), 409, "conflict")
        r = self.admin.patch("%s/%d" % (path, a["id"]), json={"until": day(-10)})
        self.assertEqual((r.status, r.json["until"], r.json["current"]), (200, day(-10), False), r)
        self.assertError(self.admin.patch("%s/%d" % (path, a["id"]), json={"until": day(-500)}), 400, "invalid_field", "until")

        bad = [
            ({"user_id": third["id"], "kind": "bupati"}, "kind"),
            ({"user_id": third["id"]}, "kind"),
            ({"kind": "plt"}, "user_id"),
            ({"user_id": 999999, "kind": "plt"}, "user_id"),
            ({"user_id": third["id"], "kind": "plt", "from": "2015-02-30"}, "from"),
            ({"user_id": third["id"], "kind": "plt", "until": "besok"}, "until"),
            ({"user_id": third["id"], "kind": "plt", "from": day(3), "until": day(1)}, "until"),
        ]
        for body, field in bad:
            self.assertError(self.admin.post(path, json=body), 400, "invalid_field", field)
        inactive = self.create_user()
        self.admin.patch("/api/users/%d" % inactive["id"], json={"active": False})
        self.assertError(self.appoint(p["id"], inactive["id"], status=409), 409, "conflict", "user_id")
        self.assertError(self.admin.post("/api/positions/999999/holders", json={"user_id": third["id"], "kind": "plt"}),
                         404, "not_found")
        self.assertError(self.admin.get("/api/positions/999999/holders"), 404, "not_found")
        self.assertError(self.admin.patch("%s/999999" % path, json={"until": day(1)}), 404, "not_found")
        self.assertError(self.admin.delete("/api/positions/%d/holders/%d" % (self.pos["Walikota Pekanbaru"], a["id"])),
                         404, "not_found")

    # ------------------------------------------------------------ cached letter pages
    def test_kept_letter_page_shows_the_new_names(self):
        p = self.create_position(is_entry_point=True, title=self.unique("Kepala Kantor Arsip "))
        holder = self.create_user(name="Drs. Pemegang Lama")
        self.appoint(p["id"], holder["id"], kind="definitif")
        letter = self.register(p["id"])
        umum = self.login("umum")
        path = "/api/letters/%d" % letter["id"]

        def tree():
            r = umum.get(path)
            self.assertEqual(r.status, 200, r)
            [d] = r.json["dispositions"]
            return d["to_position"]

        self.assertEqual((tree()["title"], tree()["holder"]["name"]), (p["title"], "Drs. Pemegang Lama"))
        self.assertEqual(self.stack.psql("SELECT doc IS NOT NULL FROM letter_docs WHERE letter_id = %d" % letter["id"]), "t")

        r = self.admin.patch("/api/positions/%d" % p["id"], json={"title": "Kepala Dinas Perpustakaan dan Kearsipan"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(tree()["title"], "Kepala Dinas Perpustakaan dan Kearsipan")
        self.admin.patch("/api/users/%d" % holder["id"], json={"name": "Drs. Pemegang Baru"})
        self.assertEqual(tree()["holder"]["name"], "Drs. Pemegang Baru")
        # A holder deactivated (here by the CLI, which writes only the
        # active flag) no longer holds the position on the page.
        self.stack.cli("user", "deactivate", holder["username"])
        self.assertIsNone(tree()["holder"])

    # ------------------------------------------------------------ classifications
    def test_classifications(self):
        r = self.admin.post("/api/classifications", json={"code": "000.9", "title": "Persuratan",
                                                          "retention_active_years": 2, "retention_inactive_years": 3,
                                                          "final_disposition": "musnah"})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json, {"code": "000.9", "title": "Persuratan", "parent_code": "000",
                                  "retention_active_years": 2, "retention_inactive_years": 3, "final_disposition": "musnah"})
        self.assertEqual(self.last_audit(), "classification.add|000.9")
        # A code between existing ones becomes their parent.
        self.assertEqual(self.admin.post("/api/classifications", json={"code": "000.9.1.1", "title": "Surat Edaran"}).status, 201)
        self.assertEqual(self.admin.post("/api/classifications", json={"code": "000.9.1", "title": "Naskah Dinas"}).status, 201)
        self.assertEqual(self.admin.get("/api/classifications?prefix=000.9.1.1").json[0]["parent_code"], "000.9.1")

        r = self.admin.patch("/api/classifications/000.9", json={"title": "Persuratan Dinas", "retention_inactive_years": None,
                                                                 "final_disposition": "permanen"})
        self.assertEqual((r.status, r.json["title"], r.json["retention_active_years"], r.json["retention_inactive_years"],
                          r.json["final_disposition"]), (200, "Persuratan Dinas", 2, None, "permanen"), r)
        self.assertEqual(self.last_audit(), "classification.update|000.9")

        self.assertError(self.admin.post("/api/classifications", json={"code": "000.9", "title": "Lagi"}), 409, "conflict", "code")
        bad = [
            ({"code": "9", "title": "X"}, "code"),
            ({"code": "000..1", "title": "X"}, "code"),
            ({"code": "000.12345", "title": "X"}, "code"),
            ({"code": "000.8"}, "title"),
            ({"code": "000.8", "title": "X", "retention_active_years": -1}, "retention_active_years"),
            ({"code": "000.8", "title": "X", "retention_inactive_years": "2"}, "retention_inactive_years"),
            ({"code": "000.8", "title": "X", "final_disposition": "dibakar"}, "final_disposition"),
        ]
        for body, field in bad:
            self.assertError(self.admin.post("/api/classifications", json=body), 400, "invalid_field", field)
        self.assertError(self.admin.patch("/api/classifications/000.9", json={"code": "000.8"}), 400, "invalid_field", "code")
        self.assertError(self.admin.patch("/api/classifications/999.9", json={"title": "X"}), 404, "not_found")
        self.assertError(self.admin.patch("/api/classifications/import", json={"title": "X"}), 404, "not_found")

    def import_csv(self, text, content_type="text/csv; charset=utf-8"):
        return self.admin.post("/api/classifications/import", data=text.encode() if isinstance(text, str) else text,
                               headers={"Content-Type": content_type})

    def test_classification_import(self):
        good = ("\ufeffcode;title;retention_active_years;retention_inactive_years;final_disposition\r\n"
                "100.1;\"Otonomi; Daerah\";2;3;Musnah\r\n"
                "100.1.1;Desentralisasi;1;1;Dinilai Kembali\r\n"
                "\r\n"
                "100.2;\"Pemerintahan\nUmum\";;;\r\n")
        r = self.import_csv(good)
        self.assertEqual((r.status, r.json), (200, {"rows": 3, "created": 3, "updated": 0, "unchanged": 0,
                                                     "parents_changed": 3}), r)
        self.assertEqual(self.last_audit(), "classification.import|")
        got = {c["code"]: c for c in self.admin.get("/api/classifications?prefix=100.").json}
        self.assertEqual(got["100.1"]["title"], "Otonomi; Daerah")
        self.assertEqual((got["100.1.1"]["parent_code"], got["100.1.1"]["final_disposition"]), ("100.1", "dinilai_kembali"))
        self.assertEqual((got["100.2"]["title"], got["100.2"]["retention_active_years"]), ("Pemerintahan Umum", None))
        # Again: nothing new; a column left out keeps what is stored.
        self.assertEqual(self.import_csv(good).json["unchanged"], 3)
        r = self.import_csv("code,title\n100.1,Otonomi Daerah\n100.3,Pemilu\n")
        self.assertEqual((r.json["created"], r.json["updated"], r.json["unchanged"]), (1, 1, 0), r)
        self.assertEqual(self.admin.get("/api/classifications?prefix=100.1").json[0]["retention_active_years"], 2)

        # One bad line: 422 naming it, and nothing of the file written.
        count = self.stack.psql("SELECT count(*) FROM classifications")
        audit = self.audit_count()
        bad = ("code,title,retention_active_years,retention_inactive_years,final_disposition\n"
               "200.1,Partai Politik,2,3,musnah\n"
               "200.2,Pemilihan Umum,2,3,dibakar\n"
               "200.3,Organisasi Massa,1,1,permanen\n")
        r = self.import_csv(bad)
        self.assertEqual(r.status, 422, r)
        self.assertEqual((r.json["error"]["code"], r.json["error"]["line"]), ("invalid_csv", 3))
        self.assertIn("dibakar", r.json["error"]["message"])
        self.assertEqual([p["line"] for p in r.json["problems"]], [3])
        for text, line in (("code,title\n300.1,A\n300.1,B\n", 3), ("code,title\n300.1,\"A\n", 2),
                           ("kode,judul\n300.1,A\n", 1), ("code,title\n300.1\n", 2), ("code,title\nabc,A\n", 2),
                           (b"code,title\n300.1,A\x00B\n", 2), ("", None)):
            r = self.import_csv(text)
            if line is None:
                self.assertError(r, 400, "invalid_csv")
            else:
                self.assertError(r, 422, "invalid_csv")
                self.assertEqual(r.json["error"]["line"], line, r)
        self.assertEqual(self.stack.psql("SELECT count(*) FROM classifications"), count)
        self.assertEqual(self.audit_count(), audit)
        self.assertError(self.import_csv("code,title\n300.1,A\n", "application/json"), 415, "unsupported_media_type")

    # ------------------------------------------------------------ rights
    ROUTES = [
        ("GET", "/api/users", None),
        ("POST", "/api/users", {"username": "x1", "name": "X", "password": PASSWORD}),
        ("GET", "/api/users/1", None),
        ("PATCH", "/api/users/2", {"name": "X"}),
        ("GET", "/api/units", None),
        ("POST", "/api/units", {"code": "X1", "name": "X"}),
        ("PATCH", "/api/units/1", {"name": "X"}),
        ("GET", "/api/numbering/template-preview?template=%7Burut%7D", None),
        ("POST", "/api/positions", {"title": "X", "unit_id": 1}),
        ("PATCH", "/api/positions/1", {"title": "X"}),
        ("GET", "/api/positions/1/holders", None),
        ("POST", "/api/positions/1/holders", {"user_id": 2, "kind": "plt"}),
        ("PATCH", "/api/positions/1/holders/1", {"until": "2099-01-01"}),
        ("DELETE", "/api/positions/1/holders/1", None),
        ("POST", "/api/classifications", {"code": "000.7", "title": "X"}),
        ("PATCH", "/api/classifications/000", {"title": "X"}),
        ("POST", "/api/classifications/import", None),
    ]

    def test_admin_only_and_csrf(self):
        others = {name: self.login(name) for name in ("umum", "walikota", "arsiparis")}
        state = self.stack.psql(
            "SELECT (SELECT count(*) FROM users) || '/' || (SELECT count(*) FROM units) || '/' ||"
            " (SELECT count(*) FROM positions) || '/' || (SELECT count(*) FROM position_holders) || '/' ||"
            " (SELECT count(*) FROM classifications) || '/' || (SELECT max(id) FROM audit_log)")
        anonymous = self.stack.session()
        for method, path, body in self.ROUTES:
            kw = {"json": body} if body is not None else {}
            if path.endswith("/import"):
                kw = {"data": "code,title\n000.7,X\n", "headers": {"Content-Type": "text/csv"}}
            for name, s in others.items():
                self.assertError(s.request(method, path, **kw), 403, "forbidden")
            self.assertError(anonymous.request(method, path, **kw), 401, "unauthenticated")
            if method != "GET":
                r = self.admin.request(method, path, csrf=False, **kw)
                self.assertError(r, 403, "csrf")
                wrong = dict(kw, headers=dict(kw.get("headers", {}), **{"X-CSRF-Token": "0" * 64}))
                r = self.admin.request(method, path, **wrong)
                self.assertError(r, 403, "csrf")
        self.assertEqual(self.stack.psql(
            "SELECT (SELECT count(*) FROM users) || '/' || (SELECT count(*) FROM units) || '/' ||"
            " (SELECT count(*) FROM positions) || '/' || (SELECT count(*) FROM position_holders) || '/' ||"
            " (SELECT count(*) FROM classifications) || '/' || (SELECT max(id) FROM audit_log)"), state)

    # ------------------------------------------------------------ audit
    @classmethod
    def tearDownClass(cls):
        # Every change above went through the audit chain; it still holds.
        p = cls.stack.cli("audit", "verify", check=False)
        assert p.returncode == 0, "esurat audit verify failed:\n%s%s" % (p.stdout, p.stderr)
        super().tearDownClass()


if __name__ == "__main__":
    unittest.main(verbosity=2)
