use super::*;

fn scrubbed(text: &str) -> String {
    let mut out = Vec::new();
    spans(text.as_bytes(), 0..text.len(), &mut out);
    let mut bytes = text.as_bytes().to_vec();
    mask(&mut bytes, &out);
    String::from_utf8(bytes).unwrap()
}

#[test]
fn masks_values_after_labels_whatever_their_shape() {
    let table = [
        ("MRN: H4471923", "MRN: ********"),
        ("mrn#4471923 seen", "mrn#******* seen"),
        ("MRN number is 00-4471923.", "MRN number is **-*******."),
        ("patient id=PX-77a", "patient id=**-***"),
        ("\"patient_id\": \"Q771\"", "\"patient_id\": \"****\""),
        (
            "billing_provider_npi=2561047384",
            "billing_provider_npi=**********",
        ),
        ("DOB: March 3, 1961 ok", "DOB: ***** *, **** ok"),
        ("member id: ZX99", "member id: ****"),
        ("medical record number 5544", "medical record number ****"),
        ("SSN 536-90-4399", "SSN ***-**-****"),
        ("MRN: \x1b[1mH4471923\x1b[0m", "MRN: \x1b[1m********\x1b[0m"),
        (
            "lookup failed for patient H7275367 (MRN)",
            "lookup failed for patient ******** (MRN)",
        ),
        ("Chart #45909953 reviewed", "Chart #******** reviewed"),
        (
            "Record number 61939238 merged",
            "Record number ******** merged",
        ),
        (
            "GET /patients/H8409291/chart 200",
            "GET /patients/********/chart 200",
        ),
        ("GET /api/v2/patients/ 200", "GET /api/v2/patients/ 200"),
    ];
    for (input, want) in table {
        assert_eq!(scrubbed(input), want, "{input:?}");
    }
}

#[test]
fn leaves_lines_without_values_alone() {
    for line in [
        "the patient id is required",
        "compiling dob_parser v0.3.1",
        "mrn_lookup: 3 retries",
        "pid 4242 exited",
        "Finished `test` profile [unoptimized] target(s) in 40.12s",
        "epoch 1700000000 reached",
        "patient 3 of 5 done",
        "INSERT INTO audit (id, note) VALUES (7, 'patient id checked')",
        "PIDFILE=/run/app.pid",
    ] {
        assert_eq!(scrubbed(line), line);
    }
}

#[test]
fn masks_identifiers_in_cut_hl7_x12_ccda_and_fhir_fragments() {
    let table = [
        (
            "rx: PID|1|4471923|H4471923^^^HOSP^MR||ORTEGA^LUCIA||19610412|F",
            "rx: PID|1|*******|********^^^****^**||******^*****||********|F",
        ),
        ("MRG|H1234567^^^HOSP|", "MRG|********^^^****|"),
        (
            "NM1*IL*1*ORTEGA*LUCIA****MI*W123456789~REF*SY*536904399~",
            "NM1*IL*1*****************MI***********~REF*SY**********~",
        ),
        ("DMG*D8*19610412*F~", "DMG*D8**********F~"),
        (
            "<id root=\"2.16.840.1.113883.19.5\" extension=\"H4471923\"/>",
            "<id root=\"2.16.840.1.113883.19.5\" extension=\"********\"/>",
        ),
        (
            "<given>Lucia</given><family>Ortega",
            "<given>*****</given><family>******",
        ),
        (
            "{\"identifier\":[{\"system\":\"urn:mrn\",\"value\":\"H4471923\"}],\"value\":\"keep\"}",
            "{\"identifier\":[{\"system\":\"urn:mrn\",\"value\":\"********\"}],\"value\":\"keep\"}",
        ),
        (
            "\"identifier\": [{\"value\": \"7788",
            "\"identifier\": [{\"value\": \"****",
        ),
        ("attending 1245319599 signed", "attending ********** signed"),
        (
            "INSERT INTO patients (id, mrn, last_name) VALUES (7, 'E199''9941', 'Ortega'), (8, '593-7474', NULL);",
            "INSERT INTO patients (id, mrn, last_name) VALUES (7, '****''****', '******'), (8, '***-****', ****);",
        ),
        (
            "identifier:\n  - system: urn:oid:1.2.36\n    value: H3745328\nname: x\nvalue: keep\n",
            "identifier:\n  - system: urn:oid:1.2.36\n    value: ********\nname: x\nvalue: keep\n",
        ),
    ];
    for (input, want) in table {
        assert_eq!(scrubbed(input), want, "{input:?}");
    }
}

#[test]
fn blank_ansi_keeps_offsets_and_only_blanks_escape_sequences() {
    let text = b"a\x1b[31mred\x1b[0m b";
    let blanked = blank_ansi(text).unwrap();
    assert_eq!(blanked, b"a     red     b");
    assert!(blank_ansi(b"plain").is_none());
}

#[test]
fn many_fragments_on_one_line_take_linear_time() {
    // Each opener used to search to the end of the line: quadratic on a line of openers.
    for unit in [
        &b"<id extension=\"1"[..],
        b"<given>A",
        b"PID|1|2|",
        b"NM1*IL*1*",
        b"MRN: ",
        b"\"identifier\":[{",
        b"INSERT INTO t (mrn) VALUES ('1', ",
        b"insert into ",
        b"identifier:\n  value: 1\n",
    ] {
        let text = unit.repeat((1 << 20) / unit.len());
        let started = std::time::Instant::now();
        let mut out = Vec::new();
        spans(&text, 0..text.len(), &mut out);
        // Linear is milliseconds; quadratic is hours. The bound measures nothing finer.
        assert!(
            started.elapsed().as_secs() < 20,
            "{:?}",
            String::from_utf8_lossy(unit)
        );
    }
}
