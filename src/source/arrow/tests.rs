use super::{
    BROKEN, COLUMN, Codec, DAMAGED, DAMAGED_COLUMN, Fail, ROWS, Table, UNREAD_TYPE, inflate,
    is_arrow, tables,
};
use crate::source::archive::OVER_BUDGET;

// Written by pyarrow: `python3 tests/fixtures/arrow/generate.py tests/fixtures/arrow`.
macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!("../../../tests/fixtures/arrow/", $name))
    };
}
/// `pd.DataFrame(PATIENTS).to_feather(…)`: large strings, LZ4-compressed buffers.
const PANDAS: &[u8] = fixture!("pandas.feather");
const UNCOMPRESSED: &[u8] = fixture!("uncompressed.feather");
const ZSTD: &[u8] = fixture!("zstd.feather");
/// `large_string` columns, uncompressed.
const LARGE: &[u8] = fixture!("large.feather");
/// The stream format, a record batch a row.
const STREAM: &[u8] = fixture!("stream.arrows");
const TYPES: &[u8] = fixture!("types.feather");
const RARE: &[u8] = fixture!("rare.feather");
/// LZ4-compressed, nulls in every kind of column.
const NULLS: &[u8] = fixture!("nulls.feather");
/// A pandas categorical: dictionary-encoded, int8 indices.
const CATEGORICAL: &[u8] = fixture!("categorical.feather");
/// A dictionary that grows by a delta between two zstd-compressed batches.
const DELTA: &[u8] = fixture!("delta.arrows");
/// A list column between two string ones.
const UNSUPPORTED: &[u8] = fixture!("unsupported.feather");
/// Nested columns of every layout between string ones, in metadata V5 and V4.
const NESTED: &[u8] = fixture!("nested.arrows");
const NESTED_V4: &[u8] = fixture!("nested_v4.arrows");

const ALL: &[&[u8]] = &[
    PANDAS,
    UNCOMPRESSED,
    ZSTD,
    LARGE,
    STREAM,
    TYPES,
    RARE,
    NULLS,
    CATEGORICAL,
    DELTA,
    UNSUPPORTED,
    NESTED,
    NESTED_V4,
];

const BIG: u64 = 1 << 30;

const PATIENTS: &str = "mrn,name,ssn,dob\n\
    MR4000001,Rosa Ortega,536-90-4399,1961-04-12\n\
    MR4000003,Ada Kim,418-27-3306,1970-02-03\n";

fn read(bytes: &[u8]) -> Vec<Table> {
    tables(bytes, &mut BIG.clone()).expect("readable")
}

/// The one member of a file every column of which is read, as text.
fn rows(bytes: &[u8]) -> String {
    crate::source::parquet::tests::only_rows(read(bytes))
}

#[test]
fn a_pandas_feather_extract_reads_as_csv_under_its_column_names() {
    assert!(is_arrow(PANDAS));
    assert_eq!(rows(PANDAS), PATIENTS);
}

#[test]
fn every_compression_string_width_and_both_formats_read_the_same_rows() {
    for (name, bytes) in [
        ("uncompressed", UNCOMPRESSED),
        ("zstd", ZSTD),
        ("large", LARGE),
        ("stream", STREAM),
    ] {
        assert!(is_arrow(bytes), "{name}");
        assert_eq!(rows(bytes), PATIENTS, "{name}");
    }
}

#[test]
fn numbers_booleans_dates_timestamps_and_binary_show_as_pandas_shows_them() {
    assert_eq!(
        rows(TYPES),
        "mrn,ssn,age,visits,weight,ratio,consent,dob,dob64,seen,seen_s,seen_ns,binary\n\
         MR4000001,536904399,63,7,61.5,0.5,True,1961-04-12,1961-04-12,2024-01-02 03:04:05,\
         2024-01-02 03:04:05,2024-01-02 03:04:05,536-90-4399\n\
         MR4000003,418273306,-1,65535,80.25,1.25,False,1970-02-03,1970-02-03,\
         2024-01-02 03:04:05.000250,2024-01-02 03:04:05,2024-01-02 03:04:05,x\n"
    );
}

#[test]
fn views_fixed_binary_times_decimals_and_durations() {
    assert_eq!(
        rows(RARE),
        "mrn,name,ssn,at,at_ms,at_ns,amount,stay,code\n\
         MR4000001,Rosa Ortega,536-90-4399,03:04:05,03:04:05.250,03:04:05.000001000,-12.34,90,5\n\
         MR4000003,\"Ada Kim, a longer name\",418-27-3306,23:59:59,,00:00:00,0.05,,250\n"
    );
}

#[test]
fn nulls_are_empty_fields() {
    assert_eq!(
        rows(NULLS),
        "mrn,ssn,visits,consent,dob,nothing\n\
         MR4000001,,3,,1961-04-12,\n\
         ,536-90-4399,,True,,\n\
         MR4000003,418-27-3306,7,False,,\n"
    );
}

#[test]
fn a_categorical_column_shows_its_dictionary_values() {
    assert_eq!(
        rows(CATEGORICAL),
        "mrn,name,ssn\n\
         MR4000001,Rosa Ortega,536-90-4399\n\
         MR4000003,Ada Kim,418-27-3306\n\
         MR4000001,Rosa Ortega,536-90-4399\n"
    );
    // A delta dictionary batch adds to the dictionary the first batch used.
    assert_eq!(
        rows(DELTA),
        "name,ssn\n\
         Rosa Ortega,536-90-4399\n\
         Ada Kim,418-27-3306\n\
         Rosa Ortega,536-90-4399\n"
    );
}

#[test]
fn a_column_of_a_type_not_read_is_a_member_of_its_own_and_the_others_still_read() {
    assert_eq!(
        read(UNSUPPORTED),
        vec![
            (
                ROWS.to_string(),
                Ok(b"mrn,codes,ssn\nMR4000001,,536-90-4399\nMR4000003,,418-27-3306\n".to_vec())
            ),
            (format!("{COLUMN}codes)"), Err(UNREAD_TYPE)),
        ]
    );
    // Structs, lists, unions (which had a validity buffer before V5), maps, fixed-size
    // lists and half floats: their buffers are counted, so the columns after them read.
    for bytes in [NESTED, NESTED_V4] {
        let members = read(bytes);
        assert_eq!(
            members[0],
            (
                ROWS.to_string(),
                Ok(b"mrn,address,codes,dense,name,sparse,map,fixed,half,ssn\n\
                     MR4000001,,,,Rosa Ortega,,,,,536-90-4399\n\
                     MR4000003,,,,Ada Kim,,,,,418-27-3306\n"
                    .to_vec())
            )
        );
        let unread: Vec<Table> = [
            "address", "codes", "dense", "sparse", "map", "fixed", "half",
        ]
        .iter()
        .map(|c| (format!("{COLUMN}{c})"), Err(UNREAD_TYPE)))
        .collect();
        assert_eq!(members[1..], unread);
    }
}

#[test]
fn a_damaged_stream_or_footer_is_the_whole_file() {
    // The footer's length pointing before the stream, or the footer cut off: the batches
    // are still read, as pyarrow's stream reader reads them, and every column is named
    // damaged.
    let mut bytes = UNCOMPRESSED.to_vec();
    let at = bytes.len() - 10;
    bytes[at..at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
    let footer = UNCOMPRESSED.len()
        - 10
        - i32::from_le_bytes(UNCOMPRESSED[at..at + 4].try_into().unwrap()) as usize;
    for damaged in [
        &bytes[..],
        &UNCOMPRESSED[..footer],
        &UNCOMPRESSED[..footer - 8],
    ] {
        assert!(is_arrow(damaged));
        let members = read(damaged);
        assert_eq!(
            members[0],
            (ROWS.to_string(), Ok(PATIENTS.as_bytes().to_vec()))
        );
        assert_eq!(members.len(), 5, "{members:?}");
        assert!(members[1..].iter().all(|m| m.1.is_err()), "{members:?}");
    }
    // A schema message cut short.
    assert_eq!(tables(&STREAM[..40], &mut BIG.clone()), Err(DAMAGED));
    assert_eq!(tables(b"", &mut BIG.clone()), Err(DAMAGED));
}

#[test]
fn a_batch_cut_short_makes_every_column_unreadable_after_the_rows_read_before() {
    // The stream's second batch loses its last byte: the first row is still read.
    let members = read(&STREAM[..STREAM.len() - 9]);
    assert_eq!(
        members[0],
        (
            ROWS.to_string(),
            Ok(b"mrn,name,ssn,dob\nMR4000001,Rosa Ortega,536-90-4399,1961-04-12\n".to_vec())
        )
    );
    let names: Vec<_> = members[1..].iter().map(|m| m.0.as_str()).collect();
    assert_eq!(
        names,
        [
            "(column mrn)",
            "(column name)",
            "(column ssn)",
            "(column dob)"
        ]
    );
    assert!(members[1..].iter().all(|m| m.1 == Err(DAMAGED_COLUMN)));
}

#[test]
fn is_arrow_takes_both_formats_and_nothing_else() {
    for bytes in ALL {
        assert!(is_arrow(bytes));
    }
    let parquet = include_bytes!("../../../tests/fixtures/parquet/pandas.parquet");
    let others: [&[u8]; 8] = [
        b"",
        b"mrn,name,ssn\nMR4000001,Rosa Ortega,536-90-4399\n",
        parquet,
        b"\x1f\x8b\x08\0\0\0\0\0\0\xff",
        b"PK\x03\x04\x14\0\0\0",
        b"\xff\xff\xff\xff\x10\0\0\0garbage garbage!",
        b"\xff\xff\xff\xff\0\0\0\0",
        &[0xff; 64],
    ];
    for bytes in others {
        assert!(!is_arrow(bytes), "{bytes:?}");
    }
    // The file format's magic is enough: cut short, or nothing but its magics, it is an
    // Arrow file (a damaged one).
    assert!(is_arrow(&PANDAS[..PANDAS.len() - 1]));
    assert!(is_arrow(b"ARROW1\0\0ARROW1"));
    assert_eq!(tables(b"ARROW1\0\0ARROW1", &mut BIG.clone()), Err(DAMAGED));
    // A stream whose first message is a record batch.
    let second = STREAM.len() / 2;
    let batch = (second..STREAM.len())
        .find(|&at| STREAM[at..].starts_with(&[0xff; 4]))
        .unwrap();
    assert!(!is_arrow(&STREAM[batch..]));
}

#[test]
fn what_the_rows_render_to_is_charged_to_the_budget() {
    for bytes in [PANDAS, UNCOMPRESSED, CATEGORICAL] {
        let mut left = BIG;
        let members = tables(bytes, &mut left).unwrap();
        let rendered = members[0].1.as_ref().unwrap().len() as u64;
        assert!(BIG - left >= rendered, "{} for {rendered}", BIG - left);
        assert!(BIG - left <= 4 * rendered, "{} for {rendered}", BIG - left);
        for budget in [0, 10, rendered / 2, rendered - 1] {
            assert_eq!(
                tables(bytes, &mut budget.clone()),
                Err(OVER_BUDGET),
                "{budget}"
            );
        }
    }
}

#[test]
fn a_file_that_claims_a_billion_rows_runs_out_of_budget_not_memory() {
    // A null column needs no buffer: a batch of a billion rows of it is a few bytes. Every
    // `3` of the stream's one batch (its length, the node's length and null count) made a
    // billion.
    let mut bytes = STREAM_OF_NULLS.to_vec();
    let three = 3i64.to_le_bytes();
    let billion = 1_000_000_000i64.to_le_bytes();
    let mut patched = 0;
    for at in 0..bytes.len() - 8 {
        if bytes[at..at + 8] == three {
            bytes[at..at + 8].copy_from_slice(&billion);
            patched += 1;
        }
    }
    assert!(patched >= 3, "{patched}");
    assert_eq!(tables(&bytes, &mut (1 << 20)), Err(OVER_BUDGET));
}

/// A stream of one column of the null type, `nothing`: three nulls.
const STREAM_OF_NULLS: &[u8] = fixture!("nothing.arrows");

#[test]
fn a_buffer_that_claims_more_than_the_budget_is_over_it_before_it_is_inflated() {
    let text = b"MR4000001,Rosa Ortega,536-90-4399\n".repeat(20);
    let mut frame = Vec::new();
    {
        use std::io::Write;
        let mut w = lz4_flex::frame::FrameEncoder::new(&mut frame);
        w.write_all(&text).unwrap();
        w.finish().unwrap();
    }
    let buffer = |size: i64| {
        let mut b = size.to_le_bytes().to_vec();
        b.extend_from_slice(&frame);
        b
    };
    let mut left = BIG;
    let whole = buffer(text.len() as i64);
    let out = inflate(Codec::Lz4, &whole, &mut left).unwrap();
    assert_eq!(&out[..], &text[..]);
    assert_eq!(BIG - left, text.len() as u64);
    // A terabyte claimed, a size that lies, a negative one, a buffer left as it is.
    assert_eq!(
        inflate(Codec::Lz4, &buffer(1 << 40), &mut (1 << 20)),
        Err(Fail::Over)
    );
    for size in [text.len() as i64 - 1, text.len() as i64 + 1, -2] {
        assert_eq!(
            inflate(Codec::Lz4, &buffer(size), &mut BIG.clone()),
            Err(BROKEN)
        );
    }
    let kept = buffer(-1);
    let raw = inflate(Codec::Zstd, &kept, &mut BIG.clone()).unwrap();
    assert_eq!(&raw[..], &frame[..]);
    assert_eq!(
        inflate(Codec::Zstd, b"\x05\0\0", &mut BIG.clone()),
        Err(BROKEN)
    );
}

/// Reads `bytes` within a small budget: it must not panic, and what it returns must be
/// what it charged at most.
fn within_budget(bytes: &[u8]) {
    const BUDGET: u64 = 1 << 16;
    let mut left = BUDGET;
    if let Ok(members) = tables(bytes, &mut left) {
        let held: u64 = members
            .iter()
            .map(|m| m.1.as_ref().map_or(0, Vec::len) as u64)
            .sum();
        assert!(held <= BUDGET - left, "{held} for {}", BUDGET - left);
    }
}

#[test]
fn damaged_files_never_panic_and_stay_within_the_budget() {
    for bytes in ALL {
        for cut in 0..bytes.len() {
            within_budget(&bytes[..cut]);
        }
        for at in 0..bytes.len() {
            let mut damaged = bytes.to_vec();
            for value in [bytes[at] ^ 0xff, bytes[at] ^ 0x01, 0x00] {
                damaged[at] = value;
                within_budget(&damaged);
            }
        }
    }
}

/// A schema whose one field is a struct with two children that are the same field, and so
/// on `depth` deep, ending in a null: `2^(depth + 1) - 1` fields walked as a tree.
fn shared_fields(depth: usize) -> Vec<u8> {
    let mut fb = Vec::new();
    let u16s = |fb: &mut Vec<u8>, xs: &[u16]| xs.iter().for_each(|x| fb.extend(x.to_le_bytes()));
    let u32s = |fb: &mut Vec<u8>, xs: &[u32]| xs.iter().for_each(|x| fb.extend(x.to_le_bytes()));
    u32s(&mut fb, &[12]); // the root: the schema at 12
    u16s(&mut fb, &[8, 8, 0, 4]); // the schema's vtable: fields at +4
    u32s(&mut fb, &[8, 4, 1, 20]); // the schema (vtable 8 back), its fields: one, at 44
    assert_eq!(fb.len(), 28);
    u16s(&mut fb, &[16, 12, 0, 0, 4, 0, 0, 8]); // a field's vtable: type id +4, children +8
    for k in 0..=depth {
        let at = fb.len() as u32;
        let id = if k == depth { 1 } else { 13 };
        let children: &[u32] = if k == depth { &[0] } else { &[2, 8, 4] };
        u32s(&mut fb, &[at - 28, id, 4]);
        u32s(&mut fb, children);
    }
    fb
}

#[test]
fn fields_shared_between_parents_are_counted_not_walked_for_ever() {
    let fb = shared_fields(3);
    let root = super::Object::root(&fb).unwrap();
    let schema = super::schema(root, fb.len(), true).unwrap_or_else(|_| panic!("readable"));
    assert_eq!(schema.columns.len(), 1);
    assert_eq!(schema.columns[0].shape.map(|s| s.nodes), Some(15));
    assert_eq!(schema.columns[0].kind, Err(UNREAD_TYPE));
    // 2^41 fields in a kilobyte: damage, at once.
    let fb = shared_fields(40);
    let root = super::Object::root(&fb).unwrap();
    assert!(super::schema(root, fb.len(), true).is_err());
}
