#!/usr/bin/env python3
"""PHI-dense benchmark inputs (synthetic values only, generated at run time, never committed).

    python3 bench/dense.py OUTDIR [--scale N]

Writes, into OUTDIR, the shapes the tool exists to stop and that used to be quadratic:

  patients.csv        N rows of mrn,first_name,last_name,dob,ssn,phone,address,zip
  bundle.min.json     a FHIR Bundle of N/12 patients minified onto one line
  bundle.json         the same bundle pretty-printed
  patients.ndjson     N/2 FHIR Patients, one per line
  hl7.txt             N/5 HL7 ADT messages (MSH/PID/PV1), \\n between segments
  hl7-cr.txt          the same messages with \\r between segments (HL7's own separator)
  ssn-line.txt        one line of SSN-shaped tokens, N*5 bytes
  ssn-lines.txt       N lines of `id ddd-dd-dddd ssn`

Values are random but valid-looking (SSN areas 001-665/667-899, Luhn-free MRNs); names come
from a short fixed list. Same seed, same files.
"""
import json
import random
import sys
from pathlib import Path

FIRST = ["Rosa", "Mateo", "Ava", "Liam", "Noah", "Emma", "Olivia", "Ethan", "Mia", "Lucas"]
LAST = ["Ortega", "Nguyen", "Smith", "Okafor", "Kowalski", "Haddad", "Silva", "Larsen"]
STREETS = ["Elm Street", "Oak Avenue", "Maple Road", "Cedar Lane", "Pine Court"]


def ssn(r):
    area = r.choice([a for a in range(1, 900) if a != 666])
    return f"{area:03d}-{r.randint(1, 99):02d}-{r.randint(1, 9999):04d}"


def dob(r):
    return f"{r.randint(1930, 2010)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}"


def phone(r):
    return f"({r.randint(201, 989)}) {r.randint(201, 989)}-{r.randint(1000, 9999)}"


def mrn(r):
    return f"MR{r.randint(1000000, 9999999)}"


def patient(r, i):
    return {
        "resourceType": "Patient",
        "id": f"p{i}",
        "identifier": [
            {"system": "http://hl7.org/fhir/sid/us-ssn", "value": ssn(r)},
            {"system": "urn:oid:1.3.6.1.4.1.54392.5.1", "value": mrn(r)},
        ],
        "name": [{"family": r.choice(LAST), "given": [r.choice(FIRST)]}],
        "telecom": [{"system": "phone", "value": phone(r)}],
        "birthDate": dob(r),
        "address": [{"line": [f"{r.randint(1, 999)} {r.choice(STREETS)}"],
                     "postalCode": f"{r.randint(10000, 99999)}"}],
    }


def hl7(r, i, sep):
    segs = [
        f"MSH|^~\\&|EPIC|HOSP|LAB|HOSP|20240101120000||ADT^A01|MSG{i:06d}|P|2.5",
        f"PID|1||{mrn(r)}^^^HOSP^MR||{r.choice(LAST)}^{r.choice(FIRST)}||{dob(r).replace('-', '')}|F|||"
        f"{r.randint(1, 999)} {r.choice(STREETS)}^^Boston^MA^02139||{phone(r)}|||||{ssn(r)}",
        f"PV1|1|I|W^389^1^HOSP||||1234567890^Welby^Marcus",
    ]
    return sep.join(segs) + sep


def main():
    out = Path(sys.argv[1])
    n = int(sys.argv[sys.argv.index("--scale") + 1]) if "--scale" in sys.argv else 100_000
    out.mkdir(parents=True, exist_ok=True)
    r = random.Random(7)
    with open(out / "patients.csv", "w") as f:
        f.write("mrn,first_name,last_name,dob,ssn,phone,address,zip\n")
        for _ in range(n):
            f.write(f"{mrn(r)},{r.choice(FIRST)},{r.choice(LAST)},{dob(r)},{ssn(r)},{phone(r)},"
                    f"\"{r.randint(1, 999)} {r.choice(STREETS)}\",{r.randint(10000, 99999)}\n")
    bundle = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"resource": patient(r, i)} for i in range(max(1, n // 12))]}
    (out / "bundle.min.json").write_text(json.dumps(bundle, separators=(",", ":")))
    (out / "bundle.json").write_text(json.dumps(bundle, indent=2))
    with open(out / "patients.ndjson", "w") as f:
        for i in range(max(1, n // 2)):
            f.write(json.dumps(patient(r, i), separators=(",", ":")) + "\n")
    msgs = [hl7(r, i, "\n") for i in range(max(1, n // 5))]
    (out / "hl7.txt").write_text("".join(msgs))
    (out / "hl7-cr.txt").write_text("".join(m.replace("\n", "\r") for m in msgs))
    (out / "ssn-line.txt").write_text(" ".join(ssn(r) for _ in range(max(1, n * 5 // 12))) + "\n")
    (out / "ssn-lines.txt").write_text("".join(f"id {ssn(r)} ssn\n" for _ in range(n)))


if __name__ == "__main__":
    main()
