//! Synthetic is decided per value within a file (issue 24 §2): a value recognised as an
//! example once is not blocked where it repeats in the same file; any other value still is.
//! The US Core example patient (MRN 1032702, born 1987-02-20) is the public specification's
//! synthetic record; the other values are generated.

use crate::common::{TempRepo, assert_no_value};

/// The US Core example patient, marked by its `hospital.smarthealthit.org` identifier system,
/// as one entry of a Bundle.
const EXAMPLE_PATIENT: &str = r#"    {
      "resource": {
        "resourceType": "Patient",
        "id": "example",
        "identifier": [
          {
            "use": "usual",
            "type": { "coding": [ { "system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR" } ] },
            "system": "http://hospital.smarthealthit.org",
            "value": "1032702"
          }
        ],
        "name": [ { "family": "Shaw", "given": [ "Amy", "V." ] } ],
        "birthDate": "1987-02-20"
      }
    }"#;

/// An Observation whose generated narrative names its patient by `who`.
fn observation(id: &str, who: &str) -> String {
    format!(
        r#"    {{
      "resource": {{
        "resourceType": "Observation",
        "id": "{id}",
        "text": {{
          "status": "generated",
          "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">BMI for {who}</div>"
        }},
        "status": "final"
      }}
    }}"#
    )
}

fn bundle(entries: &[String]) -> String {
    format!(
        "{{\n  \"resourceType\": \"Bundle\",\n  \"type\": \"collection\",\n  \"entry\": [\n{}\n  ]\n}}\n",
        entries.join(",\n")
    )
}

/// Commits `content` as `path` through the installed hooks; (success, output).
fn commit(path: &str, content: &str) -> (bool, String) {
    let repo = TempRepo::new();
    repo.install_hooks();
    repo.add(path, content);
    repo.git_in_env(&mut vec!["commit", "-q", "-m", "add"], &[])
}

#[test]
fn the_example_patients_mrn_and_birth_date_repeated_in_a_narrative_do_not_block() {
    let content = bundle(&[
        EXAMPLE_PATIENT.to_owned(),
        observation("bmi", "Amy Shaw (MRN: 1032702, DOB: 02/20/1987)"),
    ]);
    let (ok, said) = commit("examples/bundle.json", &content);
    assert!(ok, "{said}");
    assert!(said.contains("0 blocking"), "{said}");
    assert!(said.contains("synthetic (--strict shows them)"), "{said}");
}

#[test]
fn another_value_in_the_same_file_as_the_example_patient_still_blocks() {
    let content = bundle(&[
        EXAMPLE_PATIENT.to_owned(),
        observation("bmi", "Amy Shaw (MRN: 1032702, DOB: 02/20/1987)"),
        observation("bmi-2", "Rosa Ortega (MRN: 4417920, DOB: 03/14/1975)"),
    ]);
    let (ok, said) = commit("examples/bundle.json", &content);
    assert!(!ok, "{said}");
    assert_no_value(said.as_bytes(), &["4417920", "03/14/1975", "1032702"]);
    let repo = TempRepo::new();
    repo.write("bundle.json", &content);
    let r = repo.phiguard(&["--format", "json", "scan", "bundle.json"]);
    assert_eq!(r.code, 1, "{}", r.all());
    let json = r.json();
    let lines: Vec<u64> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "block")
        .map(|f| f["line"].as_u64().unwrap())
        .collect();
    let other = content.lines().position(|l| l.contains("4417920")).unwrap() as u64 + 1;
    assert!(
        !lines.is_empty() && lines.iter().all(|&l| l == other),
        "{json}"
    );
}

#[test]
fn the_example_values_repeated_in_a_readmes_prose_do_not_block() {
    let content = format!(
        "# Loading the example patient\n\nThe US Core example patient has MRN 1032702 and was \
         born 1987-02-20 (DOB: 02/20/1987).\n\n```json\n{}\n```\n",
        bundle(&[EXAMPLE_PATIENT.to_owned()])
    );
    let (ok, said) = commit("docs/loading.md", &content);
    assert!(ok, "{said}");
    // --strict shows them: the values are suppressed as synthetic, not missed.
    let repo = TempRepo::new();
    repo.write("loading.md", &content);
    let r = repo.phiguard(&["--strict", "scan", "loading.md"]);
    assert_eq!(r.code, 1, "{}", r.all());
}
