//! Validators of the PHI pack (`patterns/phi/`), one module per detector family of
//! detectors.md. Pure value checks live in [`ids`]; context and synthetic-data markers in
//! [`context`] and [`markers`]; structure walks in [`crate::detect::structure`].

mod ccda;
mod column;
pub mod context;
mod fhir;
mod hl7;
pub mod ids;
pub mod markers;
mod person;
mod simple;
mod ssn;
mod textproto;
mod x12;

use super::Validator;

/// PHI validators by name. Person-level ones go through [`context::unless_marked`]: inside a
/// marked HL7 message or FHIR resource every value is synthetic.
pub static REGISTRY: &[(&str, Validator)] = &[
    ("ssn", |c| context::unless_marked(c, ssn::validate(c))),
    ("ssn_glued", |c| context::unless_marked(c, ssn::glued(c))),
    ("itin", |c| context::unless_marked(c, simple::itin(c))),
    ("mrn", |c| context::unless_marked(c, simple::mrn(c))),
    ("member_id", |c| {
        context::unless_marked(c, simple::member_id(c))
    }),
    ("account_number", |c| {
        context::unless_marked(c, simple::account_number(c))
    }),
    ("licence", |c| context::unless_marked(c, simple::licence(c))),
    ("mrn_org", simple::mrn_org),
    ("mbi", |c| context::unless_marked(c, simple::mbi(c))),
    ("mbi_lowercase", |c| {
        context::unless_marked(c, simple::mbi_lowercase(c))
    }),
    ("hicn", |c| context::unless_marked(c, simple::hicn(c))),
    ("npi", |c| context::unless_marked(c, simple::npi(c))),
    ("dea", |c| context::unless_marked(c, simple::dea(c))),
    ("vin", |c| context::unless_marked(c, simple::vin(c))),
    ("udi", simple::udi),
    ("dicom", simple::dicom),
    ("fhir_identifier", fhir::identifier),
    ("fhir_identifier_type", fhir::identifier_type),
    ("fhir_patient", fhir::patient),
    ("fhir_patient_url", fhir::patient_url),
    ("hl7_segment", hl7::segment),
    ("x12_nm1", x12::nm1),
    ("column_identifier", |c| {
        context::unless_marked(c, column::identifier(c))
    }),
    ("dob", |c| context::unless_marked(c, person::dob(c))),
    ("age_over_89", |c| context::unless_marked(c, person::age(c))),
    ("phone", |c| context::unless_marked(c, person::phone(c))),
    ("phone_labelled", |c| {
        context::unless_marked(c, person::phone_labelled(c))
    }),
    ("phone_national", |c| {
        context::unless_marked(c, person::phone_national(c))
    }),
    ("phone_international", |c| {
        context::unless_marked(c, person::phone_international(c))
    }),
    ("email", |c| context::unless_marked(c, person::email(c))),
    ("address", |c| context::unless_marked(c, person::address(c))),
    ("zip", |c| context::unless_marked(c, person::zip(c))),
    ("ip", |c| context::unless_marked(c, person::ip(c))),
    ("name_label", person::name_label),
    ("fhir_textproto_patient", textproto::patient),
    ("ccda_patient_id", |c| {
        context::unless_marked(c, ccda::patient_id(c))
    }),
    ("ccda_birth_time", |c| {
        context::unless_marked(c, ccda::birth_time(c))
    }),
    ("ccda_patient_name", |c| {
        context::unless_marked(c, ccda::patient_name(c))
    }),
    ("ccda_patient_address", |c| {
        context::unless_marked(c, ccda::patient_address(c))
    }),
    ("ccda_patient_telecom", |c| {
        context::unless_marked(c, ccda::patient_telecom(c))
    }),
];

pub use ssn::{SsnClass, classify_ssn};
