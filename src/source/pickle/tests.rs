use super::{ROWS, TEXT_RUNS, Table, VALUES, is_pickle, op, tables};
use crate::source::archive::OVER_BUDGET;

// Written by `DataFrame.to_pickle` with pandas 2 (numpy object strings; one with pyarrow
// strings), pandas 3 with pyarrow (Arrow strings) and without (`python` storage), in
// protocols 4 and 5; and a plain dict: `tests/fixtures/pickle/generate.py`.
const PANDAS2: &[u8] = include_bytes!("../../../tests/fixtures/pickle/pandas2.pkl");
const PANDAS2_P5: &[u8] = include_bytes!("../../../tests/fixtures/pickle/pandas2-p5.pkl");
const PANDAS2_ARROW: &[u8] = include_bytes!("../../../tests/fixtures/pickle/pandas2-arrow.pkl");
const PANDAS3: &[u8] = include_bytes!("../../../tests/fixtures/pickle/pandas3.pkl");
const PANDAS3_P5: &[u8] = include_bytes!("../../../tests/fixtures/pickle/pandas3-p5.pkl");
const PANDAS3_PYTHON: &[u8] = include_bytes!("../../../tests/fixtures/pickle/pandas3-python.pkl");
const VALUES_PKL: &[u8] = include_bytes!("../../../tests/fixtures/pickle/values.pkl");
const FRAMES: [&[u8]; 6] = [
    PANDAS2,
    PANDAS2_P5,
    PANDAS2_ARROW,
    PANDAS3,
    PANDAS3_P5,
    PANDAS3_PYTHON,
];

const BUDGET: u64 = 1 << 30;

/// The patients of every DataFrame fixture: strings (one missing), an SSN kept as int64,
/// datetimes (a date, a date-time, a `NaT`), an int64 count, floats (one `NaN`) and
/// booleans.
const PATIENTS: &str = "\
mrn,name,ssn,ssn_num,dob,visits,weight,active
MR4000001,Rosa Ortega,536-90-4399,536904399,1961-04-12,3,61.5,True
MR4000002,José Núñez,418-27-3306,418273306,1988-11-30 08:15:30,0,,False
MR4000003,,219-45-0011,219450011,,12,0.1,True
";

fn read(bytes: &[u8]) -> Vec<Table> {
    tables(bytes, &mut BUDGET.clone()).expect("readable")
}

fn member(bytes: &[u8], name: &str) -> String {
    let tables = read(bytes);
    assert_eq!(tables.len(), 1, "{tables:?}");
    assert_eq!(tables[0].0, name);
    String::from_utf8(tables[0].1.clone().expect("readable member")).expect("utf-8")
}

/// The text of the member `name` of pickle `bytes`, among its others.
fn named(bytes: &[u8], name: &str) -> String {
    let tables = read(bytes);
    let (_, text) = tables
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no {name}: {tables:?}"));
    String::from_utf8(text.clone().expect("readable member")).expect("utf-8")
}

fn contains(bytes: &[u8], part: &[u8]) -> bool {
    bytes.windows(part.len()).any(|w| w == part)
}

/// A protocol 4 pickle of `body` (opcodes), ended with `STOP`.
fn pickle(body: &[u8]) -> Vec<u8> {
    let mut bytes = vec![op::PROTO, 4];
    bytes.extend_from_slice(body);
    bytes.push(op::STOP);
    bytes
}

#[test]
fn every_dataframe_fixture_renders_its_rows_under_the_column_names() {
    for bytes in FRAMES {
        assert!(is_pickle(bytes));
        assert_eq!(member(bytes, ROWS), PATIENTS);
    }
}

#[test]
fn pandas_3_arrow_strings_are_split_by_their_offsets() {
    // The strings are one buffer run together, and the SSN an int64's bytes.
    assert!(contains(PANDAS3, b"536-90-4399418-27-3306"));
    assert!(!contains(PANDAS3, b"536904399"));
    assert!(contains(PANDAS3, b"ArrowStringArray"));
    assert!(contains(PANDAS3_PYTHON, b"StringArray"));
    assert!(!contains(PANDAS3_PYTHON, b"ArrowStringArray"));
    // Protocol 5 keeps numpy data as `_frombuffer` of an in-band buffer.
    assert!(contains(PANDAS3_P5, b"_frombuffer"));
    assert!(contains(PANDAS2_P5, b"_frombuffer"));
    assert!(contains(PANDAS2, b"_reconstruct"));
    assert_eq!(member(PANDAS3, ROWS), PATIENTS);
}

#[test]
fn a_pickle_that_is_no_dataframe_lists_its_strings_and_integers() {
    assert!(is_pickle(VALUES_PKL));
    assert_eq!(
        member(VALUES_PKL, VALUES),
        "patients\nmrn\nMR4000001\nssn\n536-90-4399\nssn_num\n536904399\n\
         MR4000002\n418-27-3306\n418273306\nraw\n"
    );
    // A list of strings and numbers, in protocol 2 (`BINUNICODE`, `BININT`, `LONG1`).
    let mut body = vec![op::EMPTY_LIST, op::MARK, op::BINUNICODE, 11, 0, 0, 0];
    body.extend_from_slice(b"536-90-4399");
    body.extend_from_slice(&[op::BININT, 0xcf, 0x82, 0x00, 0x20]);
    body.extend_from_slice(&[op::LONG1, 5, 0xff, 0xff, 0xff, 0xff, 0x7f]);
    body.extend_from_slice(&[op::BINFLOAT, 0x40, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18]);
    body.push(op::APPENDS);
    let mut bytes = pickle(&body);
    bytes[1] = 2;
    assert_eq!(
        member(&bytes, VALUES),
        "536-90-4399\n536904399\n549755813887\n"
    );
}

/// The fallback splits a pyarrow string array that is not in a DataFrame read here: the
/// fixture's DataFrame with its class renamed.
#[test]
fn arrow_strings_outside_a_dataframe_are_listed_split() {
    let mut bytes = PANDAS3.to_vec();
    let at = bytes
        .windows(9)
        .position(|w| w == b"DataFrame")
        .expect("class");
    bytes[at..at + 9].copy_from_slice(b"DataFrome");
    let text = member(&bytes, VALUES);
    let lines: Vec<&str> = text.lines().collect();
    for value in [
        "536-90-4399",
        "418-27-3306",
        "MR4000001",
        "José Núñez",
        "ssn_num",
    ] {
        assert!(lines.contains(&value), "{value}: {text}");
    }
    assert!(!text.contains("536-90-4399418"), "{text}");
}

/// A damaged or cut pickle, one whose buffers are out of band, and joblib's numpy bytes
/// between opcodes made the file unscannable (a server refused every `model.joblib`), and
/// bytes after `STOP` were never read: the values made before, and the text runs of what
/// the machine did not read, are read instead, as a binary file's runs always were.
#[test]
fn what_the_machine_does_not_read_is_read_as_text_runs() {
    // Cut before any value: nothing made, nothing left to read.
    assert_eq!(tables(&PANDAS3[..2], &mut BUDGET.clone()), Ok(Vec::new()));
    // Cut after some: the values, and the runs of the rest (none here: it is cut).
    let tables = read(&PANDAS3[..PANDAS3.len() / 2]);
    assert_eq!(tables[0].0, VALUES);
    assert!(contains(tables[0].1.as_ref().unwrap(), b"MR4000001\n"));
    // An unknown opcode, a memo entry never stored, a stack emptied, a mark never closed,
    // out-of-band buffers: the text after the opcode it stopped at is read as runs.
    let ssn = format!("patient ssn {}-{}-{}", 536, 90, 4399);
    let mut oob = vec![op::NEXT_BUFFER];
    oob.extend_from_slice(ssn.as_bytes());
    for body in [
        &[0xff][..],
        &[op::BINGET, 5],
        &[op::LONG_BINGET, 0, 0, 0, 1],
        &[op::NONE, op::MEMOIZE, op::BINGET, 1],
        &[op::POP],
        &[op::MARK, op::NONE],
        &[op::NONE, op::MARK, op::APPEND],
        &oob,
    ] {
        let mut bytes = pickle(body);
        bytes[1] = 5;
        bytes.extend_from_slice(b"\x00\x01");
        bytes.extend_from_slice(ssn.as_bytes());
        let runs = named(&bytes, TEXT_RUNS);
        assert!(runs.contains(&ssn), "{body:?}: {runs:?}");
    }
    // Bytes after `STOP` (a second pickle dumped into the file, a CSV appended).
    let mut bytes = PANDAS3.to_vec();
    bytes.extend_from_slice(format!("mrn,ssn\nMR4000001,{ssn}\n").as_bytes());
    assert_eq!(named(&bytes, ROWS), member(PANDAS3, ROWS));
    assert!(named(&bytes, TEXT_RUNS).contains(&ssn));
    // joblib writes a numpy array's bytes between its opcodes: the values before them,
    // the runs of the rest, nothing unscannable.
    let joblib = read(include_bytes!(
        "../../../tests/fixtures/pickle/joblib-arrays.joblib"
    ));
    assert!(joblib.iter().all(|(_, text)| text.is_ok()), "{joblib:?}");
    assert!(joblib.iter().any(|(name, text)| {
        name == VALUES && contains(text.as_ref().unwrap(), b"MR4000001\n")
    }));
    // A whole pickle has no runs member.
    assert!(read(PANDAS3).iter().all(|(name, _)| name != TEXT_RUNS));
}

#[test]
fn a_length_past_the_input_allocates_nothing() {
    // A 4 GiB string, an 8 EiB one, 4 GiB of bytes and a 4 GiB integer: the lengths are
    // checked against what is left before anything is made.
    for body in [
        &[op::BINUNICODE, 0xff, 0xff, 0xff, 0xff, b'a'][..],
        &[op::BINUNICODE8, 0, 0, 0, 0, 1, 0, 0, 0, b'a'],
        &[
            op::BINUNICODE8,
            0xff,
            0xff,
            0xff,
            0xff,
            0xff,
            0xff,
            0xff,
            0xff,
        ],
        &[op::BINBYTES, 0xff, 0xff, 0xff, 0xff],
        &[op::BYTEARRAY8, 0, 0, 0, 0, 1, 0, 0, 0],
        &[op::LONG4, 0xff, 0xff, 0xff, 0xff],
        &[op::FRAME, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
    ] {
        let mut left = 1000;
        assert_eq!(tables(&pickle(body), &mut left), Ok(Vec::new()), "{body:?}");
    }
}

#[test]
fn deep_nesting_is_read_without_recursion() {
    const DEPTH: usize = 100_000;
    // 100,000 lists, each appended to the one before; and 100,000 one-tuples in tuples.
    let mut lists = vec![op::EMPTY_LIST; DEPTH];
    lists.extend(vec![op::APPEND; DEPTH - 1]);
    let mut tuples = vec![op::SHORT_BINUNICODE, 3];
    tuples.extend_from_slice(b"MRN");
    tuples.extend(vec![op::TUPLE1; DEPTH]);
    for body in [lists, tuples.clone()] {
        let _ = tables(&pickle(&body), &mut BUDGET.clone());
    }
    assert_eq!(member(&pickle(&tuples), VALUES), "MRN\n");
    // A DataFrame whose state is nested deep is not one read here.
    let mut frame = Vec::new();
    for part in [&b"pandas"[..], b"DataFrame"] {
        frame.extend_from_slice(&[op::SHORT_BINUNICODE, part.len() as u8]);
        frame.extend_from_slice(part);
    }
    frame.extend_from_slice(&[op::STACK_GLOBAL, op::EMPTY_TUPLE, op::NEWOBJ]);
    frame.extend(vec![op::EMPTY_DICT; 1]);
    frame.extend_from_slice(&[op::SHORT_BINUNICODE, 4]);
    frame.extend_from_slice(b"_mgr");
    frame.extend(vec![op::EMPTY_LIST; DEPTH]);
    frame.extend(vec![op::APPEND; DEPTH - 1]);
    frame.extend_from_slice(&[op::SETITEM, op::BUILD]);
    assert_eq!(member(&pickle(&frame), VALUES), "pandas\nDataFrame\n_mgr\n");
}

#[test]
fn every_cut_and_flipped_byte_reads_without_a_panic() {
    for bytes in FRAMES.into_iter().chain([VALUES_PKL]) {
        crate::source::damage::read_every_damage(bytes, 1 << 16, (is_pickle, tables));
    }
}

#[test]
fn what_is_made_and_rendered_is_taken_from_the_budget() {
    for bytes in FRAMES {
        let mut left = 4096;
        assert_eq!(tables(bytes, &mut left), Err(OVER_BUDGET));
        let mut left = BUDGET;
        assert!(tables(bytes, &mut left).is_ok());
        let spent = BUDGET - left;
        // Values, cells and rows: a few times the pickle, no more.
        assert!(spent < 40 * bytes.len() as u64, "{spent}");
        let mut left = spent;
        assert!(tables(bytes, &mut left).is_ok());
        let mut left = spent - 1;
        assert_eq!(tables(bytes, &mut left), Err(OVER_BUDGET));
    }
    // An array shared through the memo by many blocks is charged each time it is rendered.
    let mut left = 10_000;
    let shared = pickle(&[op::EMPTY_LIST; 2000]);
    assert_eq!(tables(&shared, &mut left), Err(OVER_BUDGET));
}

#[test]
fn other_files_are_not_pickles() {
    assert!(!is_pickle(b"mrn,ssn\nMR4000001,536-90-4399\n"));
    assert!(!is_pickle(&PANDAS3[..2]));
    assert!(!is_pickle(b"\x80\x01\x95"));
    assert!(!is_pickle(b"\x80\x06\x95"));
    assert!(!is_pickle(b"\x80\x04\x00"));
    let mut random = crate::source::damage::noise();
    for _ in 0..200 {
        let mut bytes = random(2000);
        if bytes[0] == op::PROTO {
            bytes[0] = 0;
        }
        assert!(!is_pickle(&bytes));
    }
}

#[test]
fn work_is_linear_in_the_values_and_the_rows() {
    // A list of n strings and n integers.
    let list = |n: usize| {
        let mut body = vec![op::EMPTY_LIST, op::MEMOIZE, op::MARK];
        for i in 0..n {
            let text = format!("MR{i:07}");
            body.extend_from_slice(&[op::SHORT_BINUNICODE, text.len() as u8]);
            body.extend_from_slice(text.as_bytes());
            body.extend_from_slice(&[op::MEMOIZE, op::BININT]);
            body.extend_from_slice(&(1_000_000 + i as u32).to_le_bytes());
            body.extend_from_slice(&[op::BINGET, 0, op::POP]);
        }
        body.push(op::APPENDS);
        pickle(&body)
    };
    crate::work::assert_linear("list", |n| {
        let bytes = list(n);
        crate::work::take();
        let _ = member(&bytes, VALUES);
        crate::work::take()
    });
    // The pandas 3 fixture's rows, repeated: its Arrow buffers and numpy data grown.
    crate::work::assert_linear("rows", |n| {
        let bytes = frame_of(n);
        crate::work::take();
        let text = member(&bytes, ROWS);
        assert_eq!(text.lines().count(), n + 1);
        crate::work::take()
    });
}

/// A pandas 2 DataFrame of `n` rows, made from the fixture's layout: one int64 column.
fn frame_of(n: usize) -> Vec<u8> {
    frame_placed(n, &[op::BININT, 0, 0, 0, 0])
}

/// [`frame_of`] with its block placed from the column `start` (an integer's opcodes).
fn frame_placed(n: usize, start: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    let unicode = |body: &mut Vec<u8>, s: &str| {
        body.extend_from_slice(&[op::SHORT_BINUNICODE, s.len() as u8]);
        body.extend_from_slice(s.as_bytes());
    };
    let global = |body: &mut Vec<u8>, module: &str, name: &str| {
        unicode(body, module);
        unicode(body, name);
        body.push(op::STACK_GLOBAL);
    };
    let int = |body: &mut Vec<u8>, n: u32| {
        body.push(op::BININT);
        body.extend_from_slice(&n.to_le_bytes());
    };
    // A numpy array: `_frombuffer(data, dtype(code), shape, "C")`.
    let array = |body: &mut Vec<u8>, data: &[u8], code: &str, shape: &[u32]| {
        global(body, "numpy._core.numeric", "_frombuffer");
        body.push(op::MARK);
        body.push(op::BINBYTES);
        body.extend_from_slice(&(data.len() as u32).to_le_bytes());
        body.extend_from_slice(data);
        global(body, "numpy", "dtype");
        unicode(body, code);
        body.extend_from_slice(&[op::NEWFALSE, op::NEWTRUE, op::TUPLE3, op::REDUCE, op::MARK]);
        int(body, 3);
        unicode(body, "<");
        body.extend_from_slice(&[op::NONE, op::NONE, op::NONE]);
        for _ in 0..2 {
            int(body, u32::MAX);
        }
        int(body, 0);
        body.extend_from_slice(&[op::TUPLE, op::BUILD, op::MARK]);
        for &d in shape {
            int(body, d);
        }
        body.push(op::TUPLE);
        unicode(body, "C");
        body.extend_from_slice(&[op::TUPLE, op::REDUCE]);
    };
    global(&mut body, "pandas", "DataFrame");
    body.extend_from_slice(&[op::EMPTY_TUPLE, op::NEWOBJ, op::EMPTY_DICT]);
    unicode(&mut body, "_mgr");
    global(&mut body, "pandas.core.internals.managers", "BlockManager");
    body.push(op::MARK);
    global(&mut body, "pandas._libs.internals", "_unpickle_block");
    let data: Vec<u8> = (0..n as i64)
        .flat_map(|i| (536_904_399 + i).to_le_bytes())
        .collect();
    array(&mut body, &data, "i8", &[1, n as u32]);
    global(&mut body, "builtins", "slice");
    body.extend_from_slice(start);
    int(&mut body, 1);
    int(&mut body, 1);
    body.extend_from_slice(&[op::TUPLE3, op::REDUCE]);
    int(&mut body, 2);
    body.extend_from_slice(&[op::TUPLE3, op::REDUCE, op::TUPLE, op::EMPTY_LIST]);
    global(&mut body, "pandas.core.indexes.base", "_new_Index");
    global(&mut body, "pandas", "Index");
    body.push(op::EMPTY_DICT);
    unicode(&mut body, "data");
    global(&mut body, "numpy._core.multiarray", "_reconstruct");
    body.extend_from_slice(&[op::EMPTY_TUPLE, op::REDUCE, op::MARK]);
    int(&mut body, 1);
    int(&mut body, 1);
    body.push(op::TUPLE1);
    global(&mut body, "numpy", "dtype");
    unicode(&mut body, "O8");
    body.extend_from_slice(&[op::NEWFALSE, op::NEWTRUE, op::TUPLE3, op::REDUCE, op::MARK]);
    int(&mut body, 3);
    unicode(&mut body, "|");
    body.extend_from_slice(&[op::TUPLE, op::BUILD, op::NEWFALSE, op::EMPTY_LIST]);
    unicode(&mut body, "ssn_num");
    body.extend_from_slice(&[op::APPEND, op::TUPLE, op::BUILD, op::SETITEM]);
    body.extend_from_slice(&[op::TUPLE2, op::REDUCE, op::APPEND, op::TUPLE2, op::REDUCE]);
    body.extend_from_slice(&[op::SETITEM, op::BUILD]);
    pickle(&body)
}

#[test]
fn a_hand_made_frame_reads_as_its_rows() {
    assert_eq!(
        member(&frame_of(2), ROWS),
        "ssn_num\n536904399\n536904400\n"
    );
}

/// A block placed past any frame's columns (a slice from 2^63 - 1 or 2^40) sized every
/// row by the column it named, allocating on the word of the pickle; it is no frame, and
/// its values are listed.
#[test]
fn a_block_placed_past_the_columns_a_frame_can_have_is_listed() {
    let placed = frame_placed(
        2,
        &[op::LONG1, 8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f],
    );
    let far = frame_placed(2, &[op::LONG1, 6, 0, 0, 0, 0, 0, 1]);
    for bytes in [placed, far] {
        let read = read(&bytes);
        assert!(read.iter().all(|(name, _)| name != ROWS), "{read:?}");
        assert!(contains(member(&bytes, VALUES).as_bytes(), b"ssn_num"));
    }
    // Just below the limit a frame is still read, its first columns empty.
    let wide = frame_placed(1, &[op::BININT, 0xff, 0xff, 0x0f, 0]);
    let rows = member(&wide, ROWS);
    assert!(
        rows.ends_with(",536904399\n"),
        "{}",
        &rows[rows.len() - 40..]
    );
}
