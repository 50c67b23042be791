//! Validators of the PHI pack (`patterns/phi/`), one module per detector family of
//! detectors.md. Pure value checks live in [`ids`]; context and synthetic-data markers in
//! [`context`] and [`markers`]; structure walks in [`crate::detect::structure`].

mod column;
pub mod context;
mod fhir;
mod hl7;
pub mod ids;
pub mod markers;
mod person;
mod simple;
mod ssn;
mod x12;

use super::Validator;

/// PHI validators by name.
pub static REGISTRY: &[(&str, Validator)] = &[
    ("ssn", ssn::validate),
    ("itin", simple::itin),
    ("mrn", simple::mrn),
    ("mrn_org", simple::mrn_org),
    ("mbi", simple::mbi),
    ("hicn", simple::hicn),
    ("npi", simple::npi),
    ("dea", simple::dea),
    ("vin", simple::vin),
    ("udi", simple::udi),
    ("dicom", simple::dicom),
    ("fhir_identifier", fhir::identifier),
    ("fhir_identifier_type", fhir::identifier_type),
    ("fhir_patient", fhir::patient),
    ("fhir_patient_url", fhir::patient_url),
    ("hl7_segment", hl7::segment),
    ("x12_nm1", x12::nm1),
    ("column_identifier", column::identifier),
    ("column_anchor", column::anchor),
    ("dob", person::dob),
    ("age_over_89", person::age),
    ("phone", person::phone),
    ("email", person::email),
    ("address", person::address),
    ("zip", person::zip),
    ("ip", person::ip),
    ("name_label", person::name_label),
];

pub use ssn::{SsnClass, classify_ssn};
