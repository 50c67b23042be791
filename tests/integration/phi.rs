//! The PHI pack against detectors.md: every + and − vector, the same detectors in the shapes
//! real data takes (CSV, SQL, logs, prose, code in several languages), hard negatives from
//! ordinary code, and the never-echo rule for structured findings. Every table runs with the
//! prefilter on and off: the results must be the same. All values are synthetic.

use crate::common::{TempRepo, assert_no_value, phiguard_stdin};
use phiguard::detect::DetectOptions;
use phiguard::detect::{RuleDb, RuleDbBuilder, Selection};
use phiguard::selftest::finds;
use std::sync::OnceLock;

fn db() -> &'static RuleDb {
    static DB: OnceLock<RuleDb> = OnceLock::new();
    DB.get_or_init(|| {
        let b = RuleDbBuilder::builtin().unwrap();
        b.select(Selection::default(), "test").build().unwrap()
    })
}

/// `(rule, path, text, found)`. Fails naming the table row, never the text.
type Case = (&'static str, &'static str, &'static str, bool);

fn run(table: &str, cases: &[Case]) {
    let mut bad = Vec::new();
    for (i, (rule, path, text, want)) in cases.iter().enumerate() {
        for prefilter in [true, false] {
            let got = finds(
                db(),
                DetectOptions {
                    prefilter,
                    ..DetectOptions::default()
                },
                rule,
                path,
                text,
            )
            .unwrap();
            if got != *want {
                bad.push(format!(
                    "{table}[{i}] {rule} prefilter={prefilter}: want {want}"
                ));
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

const T: &str = "example.txt";

#[test]
fn spec_vectors_d1_to_d3() {
    run(
        "d1-d3",
        &[
            ("phi.ssn", T, "ssn: 536-90-4399", true),
            ("phi.ssn", T, "patient_ssn = \"772 10 4567\"", true),
            ("phi.ssn", T, "SSN=536904399", true),
            ("phi.ssn", T, "078-05-1120", false),
            ("phi.ssn", T, "123-45-6789", false),
            ("phi.ssn", T, "666-12-3456", false),
            ("phi.ssn", T, "693-09.4444", false),
            ("phi.ssn", T, "order_id = 536904399", false),
            ("phi.ssn", T, "999-17-9365", false),
            ("phi.itin", T, "ITIN: 912-70-1234", true),
            ("phi.itin", T, "itin=911701234", true),
            ("phi.itin", T, "taxpayer id 923 94 5678", true),
            ("phi.itin", T, "ITIN: 912-93-4567", false),
            ("phi.itin", T, "ITIN: 911-89-1234", false),
            ("phi.itin", T, "itin 912-70 1234", false),
            ("phi.itin", T, "999-70-1234", false),
            ("phi.mrn", T, "MRN: 00123456", true),
            ("phi.mrn", T, "\"medicalRecordNumber\": \"A1234567\"", true),
            ("phi.mrn", T, "Med Rec #: 4471923", true),
            ("phi.mrn", T, "mrn: string", false),
            ("phi.mrn", T, "\"patientId\": \"${PATIENT_ID}\"", false),
            ("phi.mrn", T, "patient_id = 123456", false),
            ("phi.mrn", T, "chart_version: 1.2.3", false),
        ],
    );
}

#[test]
fn spec_vectors_d4_fhir() {
    run(
        "d4",
        &[
            (
                "phi.fhir.identifier",
                "a.json",
                r#"{"system": "http://hl7.org/fhir/sid/us-ssn", "value": "536904399"}"#,
                true,
            ),
            (
                "phi.fhir.identifier",
                "a.xml",
                r#"<id root="2.16.840.1.113883.4.927" extension="4EF6GH8JK12"/>"#,
                true,
            ),
            (
                "phi.fhir.identifier",
                "a.json",
                r#"{"system":"http://hl7.org/fhir/sid/us-ssn","value":"999-17-9365"}, "name":[{"given":["Daniel959"]}]"#,
                false,
            ),
            (
                "phi.fhir.identifier",
                "a.json",
                r#"{"system": "urn:oid:2.16.840.1.113883.4.10", "value": "536904399"}"#,
                false,
            ),
            (
                "phi.fhir.identifier",
                "a.xml",
                r#"<id root="2.16.840.1.113883.4.572" extension="HIC_number_goes_here"/>"#,
                false,
            ),
            (
                "phi.fhir.identifier",
                "a.json",
                r#"{"url": "http://hl7.org/fhir/sid/us-ssn", "kind": "identifier", "uniqueId": [{"type": "uri", "value": "http://hl7.org/fhir/sid/us-ssn"}]}"#,
                false,
            ),
            (
                "phi.fhir.patient",
                "p.json",
                r#"{"resourceType": "Patient", "name": [{"family": "Ortega", "given": ["Lucia"]}], "birthDate": "1961-04-12", "address": [{"line": ["88 Birch Hollow Rd"]}], "telecom": [{"system": "phone", "value": "937-412-8830"}]}"#,
                true,
            ),
            (
                "phi.fhir.patient-url",
                T,
                "https://fhir.acmehealth.com/r4/Patient/8f2c1a9e",
                true,
            ),
            (
                "phi.fhir.patient-url",
                T,
                "\"reference\": \"Patient/123\"",
                false,
            ),
            (
                "phi.fhir.patient-url",
                T,
                "http://localhost:8080/fhir/Patient/example",
                false,
            ),
            (
                "phi.fhir.identifier-type",
                "a.json",
                r#"{"type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0203","code":"MR"}]},"value":"H4471923"}"#,
                true,
            ),
            (
                "phi.fhir.identifier-type",
                "a.json",
                r#"{"type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0203","code":"MCN"}]},"value":"981234567"}"#,
                false,
            ),
        ],
    );
}

#[test]
fn spec_vectors_d5_to_d8() {
    run(
        "d5-d8",
        &[
            ("phi.mbi", T, "Medicare ID: 3CD5-FG7-HJ89", true),
            ("phi.mbi", T, "mbi=4EF6GH8JK12", true),
            (
                "phi.fhir.identifier",
                "a.json",
                r#"{"system": "http://hl7.org/fhir/sid/us-mbi", "value": "2AG9XC4NN22"}"#,
                true,
            ),
            ("phi.hicn", T, "HICN: 536904399A", true),
            ("phi.hicn", T, "hic# 536-90-4399 B1", true),
            ("phi.hicn", T, "medicare claim number 536904399C2", true),
            ("phi.mbi", T, "1EG4-TE5-MK73", false),
            ("phi.hicn", T, "HICN: 000904399A", false),
            ("phi.mbi", T, "1SG4-TE5-MK73", false),
            ("phi.mbi", T, "0EG4-TE5-MK73", false),
            ("phi.mbi", T, "1EG4-TE5MK73", false),
            ("phi.hicn", T, "536904399A", false),
            ("phi.mbi", T, "X1EG4TE5MK73Y", false),
            ("phi.npi", T, "npi: 1245319599", true),
            ("phi.npi", T, "NPI 1928-374-655", true),
            ("phi.npi", T, "billing_provider_npi=2561047384", true),
            ("phi.npi", T, "npi: 1234567890", false),
            ("phi.npi", T, "npi: 1234567893", false),
            ("phi.npi", T, "created_at: 1700000007", false),
            ("phi.dea", T, "DEA: BJ6125341", true),
            ("phi.dea", T, "dea_number = \"MS2381678\"", true),
            ("phi.dea", T, "prescriber DEA FN4719021", true),
            ("phi.dea", T, "DEA: BJ6125342", false),
            ("phi.dea", T, "AB1234563", false),
            ("phi.dea", T, "ZZ6125341", false),
            (
                "phi.hl7.patient",
                "a.hl7",
                "PID|1||4417732^^^HOSP^MR||ORTEGA^LUCIA^M||19610412|F|||88 Birch Hollow Rd^^Dayton^OH^45402||(937)412-8830|||||536904399",
                true,
            ),
            (
                "phi.hl7.patient",
                "A.cs",
                "var m = \"MSH|^~\\\\&|A|B\\rPID|1||4417732^^^HOSP^MR||ORTEGA^LUCIA||19610412|F\\r\";",
                true,
            ),
            (
                "phi.hl7.patient",
                "a.hl7",
                "PID|1||4417732^^^HOSP^MR~536904399^^^USSSA^SS||ORTEGA^LUCIA",
                true,
            ),
            (
                "phi.hl7.patient",
                "a.hl7",
                "PID|1||PATID1234^5^M11^ADT1^MR^UNIVERSITY HOSPITAL~123456789^^^USSSA^SS||EVERYMAN^ADAM^A^III||19610615|M",
                false,
            ),
            (
                "phi.hl7.patient",
                "a.hl7",
                "MSH|^~\\&|ADT1|MCM|LABADT|MCM|198808181126||ADT^A01|MSG00001|P|2.3",
                false,
            ),
            ("phi.hl7.patient", "a.hl7", "PID|1||||||", false),
        ],
    );
}

#[test]
fn spec_vectors_d9_to_d13() {
    run(
        "d9-d13",
        &[
            ("phi.dob", T, "DOB: 04/12/1961", true),
            ("phi.dob", T, "\"birthDate\": \"1961-04-12\"", true),
            ("phi.age-over-89", T, "92 y/o female", true),
            ("phi.dob", T, "date_of_birth = '19610412'", true),
            ("phi.dob", T, "\"birthDate\": \"1970-01-01\"", false),
            ("phi.dob", T, "dob: 02/30/1961", false),
            ("phi.age-over-89", T, "age: 89", false),
            ("phi.dob", T, "birthDate: 1961", false),
            ("phi.dob", T, "created: 2021-04-12", false),
            ("phi.phone", T, "phone: 312-867-4421", true),
            ("phi.phone", T, "tel: +1 (415) 623-0198", true),
            ("phi.phone", T, "mobile=206.724.3307", true),
            ("phi.phone", T, "555-756-9253", false),
            ("phi.phone", T, "ts=1700000000", false),
            ("phi.phone", T, "123-456-7890", false),
            ("phi.phone", T, "id 1-312-867-4421-99", false),
            (
                "phi.email",
                T,
                r#"{"system":"email","value":"maria.gonzalez71@gmail.com"}"#,
                true,
            ),
            (
                "phi.email",
                T,
                "patient_email = \"jdoe@kaiserpermanente.org\"",
                true,
            ),
            ("phi.email", T, "contact: r.smith@yahoo.com", true),
            ("phi.email", T, "john.doe@example.com", false),
            ("phi.email", T, "logo@2x.png", false),
            ("phi.email", T, "git@github.com:org/repo.git", false),
            (
                "phi.address",
                T,
                "address: 4821 Maple Ridge Drive, Springfield, IL 62704-1123",
                true,
            ),
            (
                "phi.zip",
                "p.json",
                r#"{"resourceType": "Patient", "address": [{"postalCode": "98109-4421"}]}"#,
                true,
            ),
            ("phi.address", T, "\"line\": [\"88 Birch Hollow Rd\"]", true),
            ("phi.address", T, "123 Main St", false),
            ("phi.zip", T, "zip: 00000-0000", false),
            ("phi.zip", T, "Order 12345-6789", false),
            ("phi.ip", T, "client_ip: 73.158.64.21", true),
            ("phi.ip", T, "X-Forwarded-For: 24.5.199.3", true),
            ("phi.ip", T, "2600:1700:5a3:9e0::12", true),
            ("phi.ip", T, "192.168.1.10", false),
            ("phi.ip", T, "203.0.113.7", false),
            ("phi.ip", T, "version 1.2.3.4.5", false),
            ("phi.ip", T, "at 12:30:45 UTC", false),
            ("phi.ip", T, "00:1A:2B:3C:4D:5E", false),
        ],
    );
}

#[test]
fn safe_harbor_extras_vin_udi_x12() {
    run(
        "extras",
        &[
            ("phi.vin", T, "vin: 1M8GDM9AXKP042788", true),
            ("phi.vin", T, "vin: 1M8GDM9A1KP042788", false),
            ("phi.udi", T, "udi (01)00844588003288(17)250101", true),
            ("phi.udi", T, "udi (01)00844588003289", false),
            (
                "phi.x12.member",
                "c.837",
                "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240101*1200*^*00501*000000001*0*P*:~\nNM1*IL*1*ORTEGA*LUCIA****MI*W48213376~",
                true,
            ),
            (
                "phi.x12.member",
                "c.837",
                "NM1|QC|1|REYES|TOMAS||||34|536904399~",
                false,
            ),
            (
                "phi.x12.member",
                "c.837",
                "ISA|00|          |00|          |ZZ|SENDER         |ZZ|RECEIVER       |240101|1200|^|00501|000000001|0|P|:~\nNM1|QC|1|REYES|TOMAS||||34|536904399~",
                true,
            ),
            (
                "phi.x12.member",
                "c.837",
                "NM1*85*2*ACME CLINIC*****XX*1234567893~",
                false,
            ),
        ],
    );
}

/// Each detector in the shapes real data takes: CSV, SQL, log lines, prose, and code in
/// Python, Java, TypeScript and Go.
#[test]
fn detectors_in_many_shapes() {
    run(
        "shapes",
        &[
            (
                "phi.ssn",
                "e.csv",
                "name,ssn\nLucia Ortega,536-90-4399\n",
                true,
            ),
            (
                "phi.ssn",
                T,
                "INSERT INTO patients (name, ssn) VALUES ('Lucia Ortega', '536-90-4399');",
                true,
            ),
            (
                "phi.ssn",
                T,
                "2024-05-01T10:00:00Z INFO intake ssn=536904399 status=ok",
                true,
            ),
            (
                "phi.ssn",
                T,
                "Her social security number is 536 90 4399.",
                true,
            ),
            (
                "phi.ssn",
                "a.py",
                "patient = {\"ssn\": \"536-90-4399\"}",
                true,
            ),
            ("phi.ssn", "A.java", "String ssn = \"536-90-4399\";", true),
            ("phi.ssn", "a.ts", "const ssn: string = '536904399';", true),
            (
                "phi.ssn",
                "a.go",
                "p := Patient{SSN: \"536-90-4399\"}",
                true,
            ),
            (
                "phi.column",
                "e.csv",
                "id,name,mrn,dob\n1,Lucia Ortega,H4471923,1961-04-12\n",
                true,
            ),
            (
                "phi.mrn",
                T,
                "INSERT INTO encounters (mrn) VALUES ('H4471923'); -- mrn H4471923",
                true,
            ),
            (
                "phi.mrn",
                T,
                "WARN 2024-05-01 chart pull failed for MRN=H4471923",
                true,
            ),
            (
                "phi.mrn",
                T,
                "The patient's medical record number is 4471923.",
                true,
            ),
            ("phi.mrn", "a.py", "mrn = \"H4471923\"", true),
            (
                "phi.mrn",
                "A.java",
                "patient.setMrn(\"H4471923\"); // MRN: H4471923",
                true,
            ),
            (
                "phi.mrn",
                "a.ts",
                "const patientId: string = \"H4471923\";",
                true,
            ),
            ("phi.mrn", "a.go", "var mrn string = \"4471923\"", true),
            (
                "phi.mbi",
                "e.csv",
                "member,medicare_id\nLucia Ortega,4EF6GH8JK12\n",
                true,
            ),
            (
                "phi.mbi",
                T,
                "INSERT INTO members (mbi) VALUES ('4EF6GH8JK12');",
                true,
            ),
            (
                "phi.mbi",
                T,
                "level=info msg=eligibility medicare_id=4EF6GH8JK12",
                true,
            ),
            ("phi.mbi", T, "Her Medicare number is 4EF6-GH8-JK12.", true),
            ("phi.mbi", "a.py", "mbi = '4EF6GH8JK12'", true),
            (
                "phi.mbi",
                "A.java",
                "String medicareId = \"4EF6GH8JK12\";",
                true,
            ),
            ("phi.mbi", "a.go", "beneficiary := \"4EF6GH8JK12\"", true),
            (
                "phi.npi",
                "e.csv",
                "provider,npi\nDr Reyes,1245319599\n",
                true,
            ),
            (
                "phi.npi",
                T,
                "INSERT INTO providers (npi) VALUES ('1245319599'); -- npi",
                true,
            ),
            ("phi.npi", T, "ts=2024-05-01 claim.npi=1245319599", true),
            ("phi.npi", "a.py", "NPI = \"1245319599\"", true),
            ("phi.npi", "A.java", "long npi = 1245319599L;", false),
            (
                "phi.npi",
                "a.ts",
                "const renderingNpi = '2561047384';",
                true,
            ),
            (
                "phi.dob",
                "e.csv",
                "name,dob\nLucia Ortega,1961-04-12\n",
                false,
            ),
            (
                "phi.dob",
                T,
                "INSERT INTO p (dob) VALUES ('1961-04-12'); -- dob 1961-04-12",
                true,
            ),
            ("phi.dob", T, "intake dob=1961-04-12 ok", true),
            (
                "phi.dob",
                "a.py",
                "date_of_birth = date(1961, 4, 12)  # born 04/12/1961",
                true,
            ),
            ("phi.dob", "a.go", "DOB: \"1961-04-12\",", true),
            (
                "phi.phone",
                "e.csv",
                "name,phone\nLucia Ortega,(937) 412-8830\n",
                true,
            ),
            (
                "phi.phone",
                "A.java",
                "String phone = \"937-412-8830\";",
                true,
            ),
            (
                "phi.email",
                "a.py",
                "patient_email = 'lucia.ortega61@gmail.com'",
                true,
            ),
            (
                "phi.hl7.patient",
                "a.py",
                "msg = 'MSH|^~\\\\&|LAB|HOSP\\rPID|1||7730125^^^HOSP^MR||REYES^TOMAS||19480203|M\\r'",
                true,
            ),
            (
                "phi.hl7.patient",
                "a.go",
                "const msg = \"MSH|^~\\\\&|A|B\\nPID|1||7730125^^^HOSP^MR||REYES^TOMAS||19480203|M\\n\"",
                true,
            ),
            (
                "phi.fhir.identifier",
                "p.yaml",
                "identifier:\n  - system: http://hl7.org/fhir/sid/us-ssn\n    value: \"536904399\"\n",
                true,
            ),
            (
                "phi.fhir.identifier",
                "p.ndjson",
                r#"{"resourceType":"Patient","identifier":[{"type":{"coding":[{"code":"SS"}]},"system":"http://hl7.org/fhir/sid/us-ssn","value":"536904399"}]}"#,
                true,
            ),
            (
                "phi.fhir.identifier",
                "c.xml",
                r#"<patientRole><id extension="536904399" root="2.16.840.1.113883.4.1"/></patientRole>"#,
                true,
            ),
        ],
    );
}

/// Ordinary code that a PHI scanner must leave alone.
#[test]
fn hard_negatives() {
    let texts: &[(&str, &str)] = &[
        ("a.rs", "let ts = 1700000000; // 2023-11-14T22:13:20Z"),
        ("a.rs", "const TIMEOUT_MS: u64 = 536904399;"),
        ("a.py", "uuid = 'c8671192-7783-4f1d-8781-65de8458320c'"),
        ("a.txt", "sha1 d83479f999c58b3a043698f76adf78a5f2d89164"),
        ("a.toml", "version = \"3.39.10-20240214\""),
        ("a.md", "Released 2017-04-01 (build 617865572)"),
        (
            "a.md",
            "Connect to 192.168.1.10 or 203.0.113.7 (see RFC 5737).",
        ),
        ("a.java", "int[] primes = {1000003, 1000033, 1000037};"),
        ("a.go", "const maxPatients = 100000"),
        ("a.ts", "const patientCount = 12345;"),
        ("a.py", "order_id = 536904399"),
        ("a.md", "Call 1-800-555-0199 for support."),
        ("a.js", "const ssnPattern = /^\\d{3}-\\d{2}-\\d{4}$/;"),
        (
            "a.json",
            r#"{"system": "http://hl7.org/fhir/sid/us-ssn", "code": "SSN"}"#,
        ),
        ("a.cs", "if (p.Age > 110) return;"),
        (
            "a.txt",
            "Free Software Foundation, Inc., 51 Franklin Street, Fifth Floor, Boston, MA 02110-1301 USA",
        ),
        ("a.rs", "assert_eq!(hash, 0x1234_5678_9abc);"),
        ("a.yaml", "image: registry.example.com/app:1.2.3.4"),
        ("a.py", "example_ssn = \"078-05-1120\""),
        ("a.py", "ssn = \"000-33-8680\""),
    ];
    let mut bad = Vec::new();
    for (i, (path, text)) in texts.iter().enumerate() {
        for prefilter in [true, false] {
            for rule in db()
                .rules()
                .iter()
                .filter(|r| r.id().starts_with("phi.") && r.spec.report)
            {
                if finds(
                    db(),
                    DetectOptions {
                        prefilter,
                        ..DetectOptions::default()
                    },
                    rule.id(),
                    path,
                    text,
                )
                .unwrap()
                {
                    let sev = severity_of(path, text, rule.id());
                    if sev != "info" {
                        bad.push(format!(
                            "negative[{i}] {} {sev} prefilter={prefilter}",
                            rule.id()
                        ));
                    }
                }
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

fn severity_of(path: &str, text: &str, rule: &str) -> String {
    let r = phiguard_stdin(
        &["scan", "--stdin-filename", path, "-", "--format", "json"],
        text.as_bytes(),
    );
    r.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .map(|f| f["severity"].as_str().unwrap().to_owned())
        .max_by_key(|s| ["info", "warn", "block"].iter().position(|x| x == s))
        .unwrap_or_default()
}

fn scan_json(path: &str, text: &str) -> (crate::common::Run, Vec<(String, String)>) {
    let r = phiguard_stdin(
        &["scan", "--stdin-filename", path, "-", "--format", "json"],
        text.as_bytes(),
    );
    let found = r.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_owned(),
                f["severity"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    (r, found)
}

#[test]
fn structured_findings_never_echo_values() {
    let cases: &[(&str, &str, &str, &[&str])] = &[
        (
            "patient.json",
            r#"{"resourceType": "Patient", "identifier": [{"system": "http://hl7.org/fhir/sid/us-ssn", "value": "536904399"}], "name": [{"family": "Ortega", "given": ["Lucia"]}], "birthDate": "1961-04-12"}"#,
            "phi.fhir.identifier",
            &["536904399", "Ortega", "1961-04-12"],
        ),
        (
            "adt.hl7",
            "MSH|^~\\&|A|B|C|D|202401021200||ADT^A01|1|P|2.5\nPID|1||4417732^^^HOSP^MR||ORTEGA^LUCIA||19610412|F|||||||||||536904399\n",
            "phi.hl7.patient",
            &["536904399", "4417732", "ORTEGA", "19610412"],
        ),
        (
            "claim.837",
            "NM1*IL*1*ORTEGA*LUCIA****MI*W48213376~\n",
            "phi.x12.member",
            &["W48213376", "ORTEGA"],
        ),
        (
            "doc.xml",
            r#"<id extension="536904399" root="2.16.840.1.113883.4.1"/>"#,
            "phi.fhir.identifier",
            &["536904399"],
        ),
    ];
    for (path, text, rule, values) in cases {
        let (r, found) = scan_json(path, text);
        assert_eq!(r.code, 1, "{rule}: {}", r.err());
        assert!(
            found.iter().any(|(id, s)| id == rule && s == "block"),
            "{rule}: {found:?}"
        );
        assert_no_value(&r.stdout, values);
        assert_no_value(&r.stderr, values);
        for format in ["human", "sarif", "gcc", "jsonl"] {
            let r = phiguard_stdin(
                &["scan", "--stdin-filename", path, "-", "--format", format],
                text.as_bytes(),
            );
            assert_no_value(&r.stdout, values);
        }
    }
}

#[test]
fn messages_say_what_was_found() {
    let (r, _) = scan_json(
        "a.json",
        r#"{"system": "http://hl7.org/fhir/sid/us-ssn", "value": "536904399"}"#,
    );
    let msg = r.json()["findings"][0]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        msg.contains("US SSN") && msg.contains("FHIR identifier"),
        "{msg}"
    );
}

#[test]
fn synthetic_structures_are_suppressed_unless_strict() {
    let synthea = r#"{"resourceType": "Patient", "extension": [{"url": "http://synthetichealth.github.io/synthea/disability-adjusted-life-years"}], "identifier": [{"system": "http://hl7.org/fhir/sid/us-ssn", "value": "536-90-4399"}], "name": [{"family": "Ortega", "given": ["Lucia"]}], "birthDate": "1961-04-12", "telecom": [{"system": "phone", "value": "937-412-8830"}]}"#;
    let (r, found) = scan_json("p.json", synthea);
    assert_eq!(r.code, 0, "{found:?}");
    assert!(found.is_empty(), "{found:?}");
    let strict = phiguard_stdin(
        &[
            "scan",
            "--strict",
            "--stdin-filename",
            "p.json",
            "-",
            "--format",
            "json",
        ],
        synthea.as_bytes(),
    );
    assert_eq!(strict.code, 1, "{}", strict.all());
    let hl7 = "MSH|^~\\&|ADT1|GOOD HEALTH HOSPITAL|GHH LAB||198808181126||ADT^A01|MSG00001|P|2.5\nPID|1||PATID1234^5^M11^ADT1^MR^GOOD HEALTH HOSPITAL||EVERYMAN^ADAM^A^III||19610615|M\nIN2|1|536-90-4399|||I\n";
    let (r, found) = scan_json("a.hl7", hl7);
    assert_eq!(r.code, 0, "{found:?}");
}

#[test]
fn colocation_raises_a_name_and_an_identifier_in_one_hunk() {
    let (_, alone) = scan_json("notes.txt", "phone: 937-412-8830\n");
    assert_eq!(alone, vec![("phi.phone".to_owned(), "info".to_owned())]);
    let (_, together) = scan_json(
        "notes.txt",
        "patient_name: Lucia Ortega\nDOB: 04/12/1961\nphone: 937-412-8830\n",
    );
    let sev = |rule: &str| {
        together
            .iter()
            .find(|(r, _)| r == rule)
            .map(|(_, s)| s.clone())
            .unwrap_or_default()
    };
    assert_eq!(sev("phi.dob"), "block", "{together:?}");
    // Patient context makes the phone WARN, co-location with the DOB makes it BLOCK.
    assert_eq!(sev("phi.phone"), "block", "{together:?}");
}

/// `phi.mrn.org` takes its label from `patterns/phi/mrn.toml`'s `phi.mrn`: a copy of the label
/// in Rust had drifted from the pack and missed the type annotations the pack reads
/// (`mrn: i64 = …`, `mrn: u32 = …`).
#[test]
fn org_mrn_rule_reads_every_label_the_mrn_pack_reads() {
    let repo = TempRepo::new();
    repo.write(
        ".phiguard.toml",
        "[rules.mrn]\nvalue_regex = 'ACME-[A-Z]{2}\\d{4}'\n",
    );
    repo.write(
        "a.rs",
        "let mrn: i64 = ACME-QX7731;\nlet mrn: u32 = ACME-QZ8842;\n",
    );
    let r = repo.phiguard(&["scan", "a.rs", "--format", "json"]);
    assert_eq!(r.rules(), vec!["phi.mrn.org", "phi.mrn.org"], "{}", r.all());
    assert_no_value(&r.stdout, &["ACME-QX7731", "ACME-QZ8842"]);
}

#[test]
fn org_mrn_format_from_config() {
    let repo = TempRepo::new();
    repo.write(
        ".phiguard.toml",
        "[rules.mrn]\nvalue_regex = 'ACME-[A-Z]{2}\\d{4}'\n",
    );
    repo.write("a.txt", "MRN: ACME-QX7731\nmrn: ACME-QX77\n");
    let r = repo.phiguard(&["scan", "a.txt", "--format", "json"]);
    assert_eq!(r.rules(), vec!["phi.mrn.org"], "{}", r.all());
    assert_no_value(&r.stdout, &["ACME-QX7731"]);
    repo.write(".phiguard.toml", "[rules.mrn]\nvalue_regex = '(unclosed'\n");
    let r = repo.phiguard(&["scan", "a.txt"]);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(
        r.err().contains("rules.mrn.value_regex") && r.err().contains(".phiguard.toml"),
        "{}",
        r.err()
    );
    repo.write(".phiguard.toml", "[rules.mrn]\nvalue_regx = 'x'\n");
    let r = repo.phiguard(&["scan", "a.txt"]);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(r.err().contains("value_regx"), "{}", r.err());
}

#[test]
fn an_added_dicom_file_is_a_finding() {
    let repo = TempRepo::new();
    let mut dcm = vec![0u8; 128];
    dcm.extend_from_slice(b"DICM\x02\x00\x00\x00UL\x04\x00");
    dcm.extend_from_slice(&[0u8; 64]);
    repo.write("scans/ct-0001.dcm", &dcm);
    let r = repo.phiguard(&["scan", ".", "--format", "json"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert_eq!(r.rules(), vec!["phi.dicom"]);
}

#[test]
fn hl7_value_only_on_context_lines_is_not_reported() {
    let repo = TempRepo::new();
    repo.add(
        "adt.hl7",
        "MSH|^~\\&|A|B|C|D|202401021200||ADT^A01|1|P|2.5\nPID|1||4417732^^^HOSP^MR||ORTEGA^LUCIA||19610412|F\n",
    );
    repo.commit("baseline");
    repo.add(
        "adt.hl7",
        "MSH|^~\\&|A|B|C|D|202401021200||ADT^A01|1|P|2.5\nPID|1||4417732^^^HOSP^MR||ORTEGA^LUCIA||19610412|F\nOBX|1|TX|NOTE||fine\n",
    );
    let r = repo.phiguard(&["scan", "--staged", "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.all());
}

/// Issue 23, noise on real repositories: HL7 conformance profiles number their sections
/// (`<Reference>3.4.2.30</Reference>`: 601 warns in hapi-hl7v2) and FHIR spec packages name a
/// mailing list as the publisher's contact (`...@lists...`: 4,316 warns in google/fhir). Neither is
/// a person's data; a real client IP and a patient's e-mail still are.
#[test]
fn section_numbers_and_mailing_lists_are_not_patient_contacts() {
    run(
        "noise",
        &[
            (
                "phi.ip",
                T,
                "<Field Name=\"Patient ID\"><Reference>3.4.2.30</Reference>",
                false,
            ),
            (
                "phi.ip",
                T,
                "patient: see chapter 7, section 7.4.2.16 of the standard",
                false,
            ),
            ("phi.ip", T, "patient id field 3.3.2.1", false),
            (
                "phi.ip",
                T,
                "patient: replaces the CM type in 4.5.3.32 and 7.4.1.32 (OBR-32)",
                false,
            ),
            ("phi.ip", T, "patient client_ip: 73.158.64.21", true),
            (
                "phi.email",
                "Patient.json",
                "{\"resourceType\":\"Patient\",\"telecom\":[{\"system\":\"email\",\"value\":\"fhir-devs@lists.acme-health.org\"}]}",
                false,
            ),
            (
                "phi.email",
                T,
                "patient contact: support@acme-clinic.org",
                false,
            ),
            (
                "phi.email",
                T,
                "patient contact: r.okafor71@yahoo.com",
                true,
            ),
        ],
    );
}

/// Labelled birth dates written with the month's name, day first or month first.
#[test]
fn labelled_birth_dates_with_month_names() {
    run(
        "dob",
        &[
            ("phi.dob", T, "DOB: 22-Mar-1985", true),
            ("phi.dob", T, "Date of Birth: March 22, 1985", true),
            ("phi.dob", T, "birth_date = \"7 September 1972\"", true),
            ("phi.dob", T, "DOB: 31-Feb-1985", false),
            ("phi.dob", T, "released 22-Mar-1985", false),
        ],
    );
}

/// A FHIR Patient with a name and a full birth date but no identifier is PHI (it used to
/// need three elements).
#[test]
fn fhir_patient_with_name_and_birth_date_only() {
    let text = "{\"resourceType\": \"Patient\", \"name\": [{\"family\": \"Okafor\", \"given\": [\"Adaeze\"]}], \"birthDate\": \"1983-06-17\"}";
    run(
        "patient",
        &[
            ("phi.fhir.patient", "Patient-okafor.json", text, true),
            (
                "phi.fhir.patient",
                "Patient-okafor.json",
                "{\"resourceType\": \"Patient\", \"name\": [{\"family\": \"Okafor\"}], \"gender\": \"female\"}",
                false,
            ),
        ],
    );
}

/// Issue 23: a C-CDA document whose patient appears only under recordTarget/patientRole got
/// no finding. The patient's id (under any facility root), birthTime, name, upper-case street
/// line and unseparated phone are findings; the same elements of the author are not.
#[test]
fn ccda_patient_identity_under_record_target() {
    const DOC: &str = "<ClinicalDocument xmlns=\"urn:hl7-org:v3\">\n  <recordTarget>\n    <patientRole>\n      <id extension=\"4417732\" root=\"2.16.840.1.113883.3.6132.1\"/>\n      <addr use=\"HP\">\n        <streetAddressLine>4821 MAPLE RIDGE</streetAddressLine>\n      </addr>\n      <telecom use=\"HP\" value=\"tel:9374128830\"/>\n      <patient>\n        <name use=\"L\"><given>Lucia</given><family>Ortega</family></name>\n        <birthTime value=\"19381212\"/>\n      </patient>\n    </patientRole>\n  </recordTarget>\n</ClinicalDocument>\n";
    const AUTHOR: &str = "<author>\n  <assignedAuthor>\n    <id extension=\"99120077\" root=\"2.16.840.1.113883.3.6132.9\"/>\n    <addr><streetAddressLine>1 Clinic Plaza 400</streetAddressLine></addr>\n    <telecom value=\"tel:9374120000\"/>\n    <assignedPerson><name><given>Dana</given><family>Whitfield</family></name></assignedPerson>\n  </assignedAuthor>\n</author>\n";
    let p = "ccda/summary.xml";
    run(
        "ccda",
        &[
            ("phi.ccda.patient-id", p, DOC, true),
            ("phi.ccda.birth-time", p, DOC, true),
            ("phi.ccda.patient-name", p, DOC, true),
            ("phi.ccda.patient-address", p, DOC, true),
            ("phi.ccda.patient-telecom", p, DOC, true),
            ("phi.ccda.patient-id", p, AUTHOR, false),
            ("phi.ccda.patient-name", p, AUTHOR, false),
            ("phi.ccda.patient-address", p, AUTHOR, false),
            ("phi.ccda.patient-telecom", p, AUTHOR, false),
        ],
    );
    // An identifier and a name in one document raise each other to block (co-location).
    assert_eq!(severity_of(p, DOC, "phi.ccda.patient-id"), "block");
}

/// Issue 23: an unformatted SSN in GT1-12, NK1-37 or an `SS`-typed IN1-49 made at most a
/// warning (a name and "an identifier"); it blocks as an SSN. A 9xx one is synthetic.
#[test]
fn hl7_ssn_in_guarantor_next_of_kin_and_insured_fields_blocks() {
    let gt1 =
        "MSH|^~\\&|A|B|C|D|202401021200||ADT^A04|1|P|2.5\rGT1|1||ORTEGA^LUCIA|||||||||536904399\r";
    assert_eq!(severity_of("adt.hl7", gt1, "phi.hl7.patient"), "block");
    let nk1 = format!(
        "MSH|^~\\&|A|B|C|D|202401021200||ADT^A04|1|P|2.5\rNK1|1|ORTEGA^MARCO|SPO{}536904399\r",
        "|".repeat(34)
    );
    assert_eq!(severity_of("adt.hl7", &nk1, "phi.hl7.patient"), "block");
    let in1 = format!(
        "MSH|^~\\&|A|B|C|D|202401021200||ADT^A04|1|P|2.5\rIN1|1|PLAN1||||||||||||||ORTEGA^LUCIA{}536904399^^^USSSA^SS\r",
        "|".repeat(33)
    );
    assert_eq!(severity_of("adt.hl7", &in1, "phi.hl7.patient"), "block");
    let synthetic =
        "MSH|^~\\&|A|B|C|D|202401021200||ADT^A04|1|P|2.5\rGT1|1||ORTEGA^LUCIA|||||||||999174567\r";
    assert_ne!(
        severity_of("adt.hl7", synthetic, "phi.hl7.patient"),
        "block"
    );
}

/// Issue 23: FHIR in protobuf text format (google/fhir testdata) got no Patient finding. A
/// name with a day-precision birth date is one; with an identifier it blocks outside tests.
#[test]
fn fhir_patient_in_protobuf_text_format() {
    // 1983-06-17 at midnight in UTC+10.
    let text = "identifier {\n  value {\n    value: \"4417732\"\n  }\n}\nname {\n  family {\n    value: \"Okafor\"\n  }\n  given {\n    value: \"Adaeze\"\n  }\n}\nbirth_date {\n  value_us: 424620000000000\n  timezone: \"Australia/Sydney\"\n  precision: DAY\n}\n";
    run(
        "textproto",
        &[
            (
                "phi.fhir.textproto-patient",
                "data/Patient-okafor.prototxt",
                text,
                true,
            ),
            (
                "phi.fhir.textproto-patient",
                "data/Patient-okafor.textproto",
                text,
                true,
            ),
            (
                "phi.fhir.textproto-patient",
                "data/Patient-okafor.txt",
                text,
                false,
            ),
        ],
    );
    assert_eq!(
        severity_of(
            "data/Patient-okafor.prototxt",
            text,
            "phi.fhir.textproto-patient"
        ),
        "block"
    );
}

/// Issue 23: a phone number without separators after a phone label was no finding.
#[test]
fn labelled_phone_without_separators() {
    run(
        "phone",
        &[
            (
                "phi.phone-unformatted",
                T,
                "patient_phone: 9374128830",
                true,
            ),
            (
                "phi.phone-unformatted",
                T,
                "\"mobile\": \"+19374128831\"",
                true,
            ),
            ("phi.phone-unformatted", T, "phone: 9375550142", false),
            (
                "phi.phone-unformatted",
                T,
                "support_phone: 9374128830",
                false,
            ),
            ("phi.phone-unformatted", T, "timeout: 9374128830", false),
        ],
    );
}

/// real_repos.py on google/fhir: the FHIR specification's `Organization`, `Practitioner` and
/// conformance resources (a publisher's `contact`) blocked as "in a patient record" (`telecom`
/// is a patient word) once `spec/` stopped being a test path. Their phones, e-mails and
/// addresses are nobody's health information; the same details in a `Patient` still block.
#[test]
fn contact_details_of_an_organization_or_a_definition_are_not_a_patients() {
    let contact = r#""telecom":[{"system":"phone","value":"(734) 677-7777"},{"system":"email","value":"hq@hospital-north.org"}],"address":[{"line":["3300 Washtenaw Avenue, Suite 227"],"city":"Ann Arbor","state":"MI","postalCode":"48104"}]"#;
    for kind in ["Organization", "Practitioner", "Location", "ValueSet"] {
        let text = format!(r#"{{"resourceType":"{kind}","id":"x",{contact}}}"#);
        let (r, found) = scan_json(&format!("spec/package/{kind}-x.json"), &text);
        assert_eq!(r.code, 0, "{kind}: {}", r.all());
        assert!(
            found.iter().all(
                |(rule, _)| !["phi.phone", "phi.email", "phi.address"].contains(&rule.as_str())
            ),
            "{kind}: {found:?}"
        );
    }
    let patient = format!(
        r#"{{"resourceType":"Patient","id":"x","name":[{{"family":"Ortega","given":["Lucia"]}}],{contact}}}"#
    );
    let (r, found) = scan_json("spec/package/Patient-x.json", &patient);
    assert_eq!(r.code, 1, "{}", r.all());
    for rule in ["phi.phone", "phi.email", "phi.address"] {
        assert!(
            found.contains(&(rule.to_owned(), "block".to_owned())),
            "{rule}: {found:?}"
        );
    }
    // A Bundle of both: the Organization entry's details stay out, the Patient's block.
    let bundle = format!(
        r#"{{"resourceType":"Bundle","entry":[{{"resource":{{"resourceType":"Organization",{contact}}}}},{{"resource":{}}}]}}"#,
        patient
    );
    let (_, found) = scan_json("spec/package/Bundle-x.json", &bundle);
    let phones = found.iter().filter(|(r, _)| r == "phi.phone").count();
    assert_eq!(phones, 1, "{found:?}");
}

/// The same for a value deeper than the bounded walk out reaches: HL7's v2-0396 code system
/// lists a publisher's address and e-mail in its thousandth concept.
#[test]
fn contact_details_deep_in_a_large_code_system_are_not_a_patients() {
    let concepts: Vec<String> = (0..600)
        .map(|i| format!(r#"{{"code":"C{i:04}","display":"Coding system number {i}"}}"#))
        .collect();
    let text = format!(
        r#"{{"concept":[{},{{"code":"ZZ","definition":"Registry, 3300 Washtenaw Avenue, Suite 227, Ann Arbor, MI 48104; contact hq@hospital-north.org, (734) 677-7777"}}],"resourceType":"CodeSystem","telecom":"patient"}}"#,
        concepts.join(",")
    );
    assert!(text.len() > 20_000);
    let (r, found) = scan_json("spec/package/CodeSystem-v2-0396.json", &text);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        found
            .iter()
            .all(|(rule, _)| !["phi.phone", "phi.email", "phi.address"].contains(&rule.as_str())),
        "{found:?}"
    );
}
