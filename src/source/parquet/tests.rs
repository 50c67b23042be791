use super::{
    BROKEN, COLUMN, DAMAGED, Fail, LZ4_HADOOP, LZO, ROWS, Table, inflate, is_parquet, tables,
};
use crate::source::archive::OVER_BUDGET;

// Written by pyarrow: `python3 tests/fixtures/parquet/generate.py tests/fixtures/parquet`.
macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!("../../../tests/fixtures/parquet/", $name))
    };
}
/// `pd.DataFrame(PATIENTS).to_parquet(…)`: snappy, dictionary-encoded, data pages v1.
const PANDAS: &[u8] = fixture!("pandas.parquet");
const UNCOMPRESSED: &[u8] = fixture!("uncompressed.parquet");
const GZIP: &[u8] = fixture!("gzip.parquet");
const ZSTD: &[u8] = fixture!("zstd.parquet");
const LZ4_RAW: &[u8] = fixture!("lz4_raw.parquet");
const BROTLI: &[u8] = fixture!("brotli.parquet");
/// No dictionary: PLAIN values.
const PLAIN: &[u8] = fixture!("plain.parquet");
const V2_ZSTD: &[u8] = fixture!("v2_zstd.parquet");
const NULLS: &[u8] = fixture!("nulls.parquet");
/// `NULLS` in data pages v2.
const V2: &[u8] = fixture!("v2.parquet");
const DATES: &[u8] = fixture!("dates.parquet");
/// `DATES` with the timestamps as legacy INT96.
const INT96: &[u8] = fixture!("int96.parquet");
const NUMBERS: &[u8] = fixture!("numbers.parquet");
const NESTED: &[u8] = fixture!("nested.parquet");
/// Ten rows in row groups of three.
const ROW_GROUPS: &[u8] = fixture!("row_groups.parquet");
/// 200 rows in pages of five, v1 (PLAIN) and v2 (dictionary).
const PAGES: &[u8] = fixture!("pages.parquet");
const PAGES_V2: &[u8] = fixture!("pages_v2.parquet");
const DELTA: &[u8] = fixture!("delta.parquet");
const SPLIT: &[u8] = fixture!("split.parquet");

const ALL: &[&[u8]] = &[
    PANDAS,
    UNCOMPRESSED,
    GZIP,
    ZSTD,
    LZ4_RAW,
    BROTLI,
    PLAIN,
    V2_ZSTD,
    NULLS,
    V2,
    DATES,
    INT96,
    NUMBERS,
    NESTED,
    ROW_GROUPS,
    PAGES,
    PAGES_V2,
    DELTA,
    SPLIT,
];

const BIG: u64 = 1 << 30;

const PATIENTS: &str = "mrn,name,ssn,dob\n\
    MR4000001,Rosa Ortega,536-90-4399,1984-03-12\n\
    MR4000002,Liam Haddad,412-33-7810,1979-12-08\n\
    MR4000003,Priya Mensah,287-15-6032,2001-07-30\n\
    MR4000004,Omar Tanaka,619-48-2275,1956-01-02\n";

fn read(bytes: &[u8]) -> Vec<Table> {
    tables(bytes, &mut BIG.clone()).expect("readable")
}

/// The one member of a file every column of which is read, as text.
fn rows(bytes: &[u8]) -> String {
    only_rows(read(bytes))
}

/// The text of the one member a data file reader gave ([`ROWS`]): every column was read.
/// The Arrow reader's tests use it too.
pub(in crate::source) fn only_rows(members: Vec<Table>) -> String {
    assert_eq!(members.len(), 1, "{members:?}");
    assert_eq!(members[0].0, ROWS);
    String::from_utf8(members[0].1.clone().expect("readable rows")).expect("utf-8")
}

#[test]
fn a_pandas_extract_reads_as_csv_under_its_column_names() {
    assert!(is_parquet(PANDAS));
    assert_eq!(rows(PANDAS), PATIENTS);
}

#[test]
fn every_codec_and_page_version_reads_the_same_rows() {
    for (name, bytes) in [
        ("uncompressed", UNCOMPRESSED),
        ("gzip", GZIP),
        ("zstd", ZSTD),
        ("lz4_raw", LZ4_RAW),
        ("plain", PLAIN),
        ("v2_zstd", V2_ZSTD),
    ] {
        assert_eq!(rows(bytes), PATIENTS, "{name}");
    }
}

#[test]
fn a_codec_phiguard_does_not_open_makes_the_rows_unreadable() {
    assert_eq!(
        read(BROTLI),
        [(
            ROWS.to_string(),
            Err("a Parquet file compressed with Brotli, which phiguard does not open")
        )]
    );
    let mut left = BIG;
    assert_eq!(
        inflate(LZO, b"anything", 8, &mut left),
        Err(Fail::Why(
            "a Parquet file compressed with LZO, which phiguard does not open"
        ))
    );
    assert_eq!(
        inflate(42, b"anything", 8, &mut left),
        Err(Fail::Why(
            "a Parquet file compressed with a codec phiguard does not know"
        ))
    );
}

#[test]
fn nulls_are_empty_fields_in_pages_v1_and_v2() {
    let expected = "mrn,ssn,visits\n\
        MR4000011,,3\n\
        ,301-22-4417,\n\
        MR4000013,455-61-9038,7\n";
    assert_eq!(rows(NULLS), expected);
    assert_eq!(rows(V2), expected);
}

#[test]
fn dates_and_timestamps_show_as_pandas_shows_them() {
    assert_eq!(
        rows(DATES),
        "dob,ms,us,ns\n\
         1984-03-12,2024-01-02 03:04:05,2024-01-02 03:04:05,2024-01-02 03:04:05\n\
         ,2024-01-02 03:04:05,2024-01-02 03:04:05.000250,\n"
    );
    assert_eq!(
        rows(INT96),
        "dob,ms,us,ns\n\
         1984-03-12,2024-01-02 03:04:05,2024-01-02 03:04:05,2024-01-02 03:04:05\n\
         ,2024-01-02 03:04:05,2024-01-02 03:04:05.000250000,\n"
    );
}

#[test]
fn numbers_booleans_decimals_and_binary_columns() {
    // Untyped binary is its bytes (control bytes made spaces by the CSV writer);
    // fixed-length binary is hex; the decimal(9, 2) is fixed-length binary too.
    assert_eq!(
        rows(NUMBERS),
        "id,big,flag,f,d,small,amount,blob,fixed\n\
         1,9007199254740993,true,1.5,0.1,7,12.34,  ,dead\n\
         -2,0,false,0.1,1e300,8,-0.05,ab,beef\n\
         2147483647,-5,true,-3.0,-2.5,255,,,0001\n"
    );
}

#[test]
fn row_groups_follow_one_another() {
    let expected: String = std::iter::once("mrn,ssn\n".to_string())
        .chain((0..10).map(|i| format!("MR4{i:06},{}-{}-{}\n", 100 + i, 10 + i, 1000 + i)))
        .collect();
    assert_eq!(rows(ROW_GROUPS), expected);
}

#[test]
fn many_small_pages_in_both_page_versions() {
    let expected: String = std::iter::once("mrn,ssn\n".to_string())
        .chain((0..200).map(|i| {
            let ssn = format!("{}-{:02}-{:04}", 100 + i % 500, 10 + i % 89, 1000 + i);
            format!("MR4{i:06},{ssn}\n")
        }))
        .collect();
    assert_eq!(rows(PAGES), expected);
    assert_eq!(rows(PAGES_V2), expected);
}

#[test]
fn delta_encodings_of_integers_and_strings() {
    assert_eq!(
        rows(DELTA),
        "id,n,mrn,ssn\n\
         5,1,MR4000031,536-90-4399\n\
         7,2,MR4000032,536-90-4400\n\
         6,3,MR4000033,\n\
         100000,4,MR4000034,287-15-6032\n\
         -3,,MR4000035,287-15-6039\n"
    );
}

#[test]
fn byte_stream_split_floats() {
    assert_eq!(rows(SPLIT), "f,d\n1.5,0.5\n-2.25,3.0\n");
}

#[test]
fn a_list_joins_its_values_and_a_struct_shows_dotted_paths() {
    // Row 2's list is empty and row 3's null: both show nothing.
    assert_eq!(
        rows(NESTED),
        "mrn,phones.list.element,address.city,address.zip\n\
         MR4000021,555-0101;555-0102,Springfield,01101\n\
         MR4000022,,,\n\
         MR4000023,,Shelbyville,\n"
    );
}

#[test]
fn a_damaged_footer_is_the_whole_file() {
    let end = PANDAS.len() - 8;
    // The footer's length pointing before the file's start, then into its pages.
    for len in [u32::MAX, 200] {
        let mut bytes = PANDAS.to_vec();
        bytes[end..end + 4].copy_from_slice(&len.to_le_bytes());
        assert_eq!(tables(&bytes, &mut BIG.clone()), Err(DAMAGED), "{len}");
    }
    assert!(!is_parquet(&PANDAS[..PANDAS.len() - 1]));
    assert!(!is_parquet(b"PAR1PAR1"));
    assert!(is_parquet(b"PAR1\0\0\0\0PAR1"));
    assert_eq!(tables(b"PAR1\0\0\0\0PAR1", &mut BIG.clone()), Err(DAMAGED));
}

#[test]
fn a_damaged_page_is_one_unreadable_column_and_the_others_still_read() {
    // PLAIN's first page (column `mrn`, at byte 4) says its body is -64 bytes.
    let mut bytes = PLAIN.to_vec();
    assert_eq!(&bytes[4..10], [0x15, 0x00, 0x15, 0x74, 0x15, 0x74]);
    bytes[9] = 0x7f;
    let members = read(&bytes);
    assert_eq!(members.len(), 2);
    let text = String::from_utf8(members[0].1.clone().unwrap()).unwrap();
    assert_eq!(
        text,
        "mrn,name,ssn,dob\n\
         ,Rosa Ortega,536-90-4399,1984-03-12\n\
         ,Liam Haddad,412-33-7810,1979-12-08\n\
         ,Priya Mensah,287-15-6032,2001-07-30\n\
         ,Omar Tanaka,619-48-2275,1956-01-02\n"
    );
    let Fail::Why(damaged) = BROKEN else {
        unreachable!()
    };
    assert_eq!(members[1], (format!("{COLUMN}mrn)"), Err(damaged)));
}

#[test]
fn what_the_rows_render_to_is_charged_to_the_budget() {
    let mut left = BIG;
    let members = tables(PAGES, &mut left).unwrap();
    let rendered = members[0].1.as_ref().unwrap().len() as u64;
    // The text, and the snappy pages inflated on the way.
    assert!(BIG - left >= rendered, "{} for {rendered}", BIG - left);
    assert!(BIG - left <= 3 * rendered, "{} for {rendered}", BIG - left);
    for budget in [0, 100, rendered / 2, rendered] {
        assert_eq!(
            tables(PAGES, &mut budget.clone()),
            Err(OVER_BUDGET),
            "{budget}"
        );
    }
}

#[test]
fn damage_anywhere_is_an_error_never_a_panic() {
    for bytes in ALL {
        // Every byte of the small files, and of the footer and the first pages of the
        // larger ones.
        let every = (bytes.len() / 1500).max(1);
        for at in (0..bytes.len()).filter(|&at| at % every == 0 || at + 1500 > bytes.len()) {
            for value in [0x00, 0xff, bytes[at] ^ 0x01] {
                let mut damaged = bytes.to_vec();
                damaged[at] = value;
                let _ = tables(&damaged, &mut (1 << 20));
            }
        }
        for len in (0..bytes.len()).step_by(every) {
            let _ = tables(&bytes[..len], &mut (1 << 20));
            let _ = tables(&bytes[len..], &mut (1 << 20));
        }
    }
}

#[test]
fn hadoop_framed_lz4_and_the_bare_block_older_arrow_wrote() {
    let text = b"MR4000001,Rosa Ortega,536-90-4399\n".repeat(20);
    let block = lz4_flex::block::compress(&text);
    let mut framed = (text.len() as u32).to_be_bytes().to_vec();
    framed.extend_from_slice(&(block.len() as u32).to_be_bytes());
    framed.extend_from_slice(&block);
    for body in [&framed, &block] {
        let mut left = BIG;
        let out = inflate(LZ4_HADOOP, body, text.len(), &mut left).unwrap();
        assert_eq!(&out[..], &text[..]);
        assert_eq!(BIG - left, text.len() as u64);
    }
    let mut left = BIG;
    assert_eq!(
        inflate(LZ4_HADOOP, &framed, text.len() + 1, &mut left),
        Err(BROKEN)
    );
}

// ---------------------------------------------------------------------------------------
// Files made here, in shapes pyarrow does not write: many row groups, pages or columns,
// hostile counts and nesting.

/// A writer of Thrift's compact protocol (long-form field headers).
#[derive(Default)]
struct Thrift(Vec<u8>);

impl Thrift {
    fn varint(&mut self, mut n: u64) -> &mut Self {
        while n >= 0x80 {
            self.0.push(n as u8 | 0x80);
            n >>= 7;
        }
        self.0.push(n as u8);
        self
    }

    fn field(&mut self, id: i16, ty: u8) -> &mut Self {
        self.0.push(ty);
        self.varint(((id << 1) ^ (id >> 15)) as u16 as u64)
    }

    fn int(&mut self, id: i16, ty: u8, n: i64) -> &mut Self {
        self.field(id, ty).varint(((n << 1) ^ (n >> 63)) as u64)
    }

    fn i32(&mut self, id: i16, n: i64) -> &mut Self {
        self.int(id, super::I32, n)
    }

    fn i64(&mut self, id: i16, n: i64) -> &mut Self {
        self.int(id, super::I64, n)
    }

    fn binary(&mut self, id: i16, b: &[u8]) -> &mut Self {
        self.field(id, super::BINARY).varint(b.len() as u64);
        self.0.extend_from_slice(b);
        self
    }

    fn list(&mut self, id: i16, ty: u8, n: usize) -> &mut Self {
        self.field(id, super::LIST);
        self.list_header(ty, n)
    }

    fn list_header(&mut self, ty: u8, n: usize) -> &mut Self {
        if n < 15 {
            self.0.push((n as u8) << 4 | ty);
            self
        } else {
            self.0.push(0xf0 | ty);
            self.varint(n as u64)
        }
    }

    fn stop(&mut self) -> &mut Self {
        self.0.push(0);
        self
    }
}

/// The shape of a made file: `columns` required text columns, `groups` row groups, each
/// column chunk `pages` PLAIN v1 pages of `rows` rows; or, when `nulls` is set, optional
/// columns whose pages are that many nulls each.
#[derive(Clone, Copy, Default)]
struct Shape {
    columns: usize,
    groups: usize,
    pages: usize,
    rows: usize,
    nulls: u64,
}

/// Row `r`'s value of column `c`.
fn value(c: usize, r: usize) -> String {
    format!("MR{c}-{r:06}")
}

/// A Parquet file of `shape`, with `extra` (fields of `FileMetaData`) in its footer.
fn made(shape: Shape, extra: &[u8]) -> Vec<u8> {
    let (file, chunks) = pages(shape);
    finish(file, &footer(shape, &chunks, extra))
}

/// The pages of a made file (after its magic), and where its column chunks are (offset,
/// size, column).
fn pages(shape: Shape) -> (Vec<u8>, Vec<(usize, usize, usize)>) {
    let mut file = b"PAR1".to_vec();
    let mut chunks = Vec::new();
    for _ in 0..shape.groups {
        for c in 0..shape.columns {
            let start = file.len();
            for p in 0..shape.pages {
                let data = page_data(shape, c, p);
                let entries = if shape.nulls > 0 {
                    shape.nulls
                } else {
                    shape.rows as u64
                };
                let mut h = Thrift::default();
                h.i32(1, 0)
                    .i32(2, data.len() as i64)
                    .i32(3, data.len() as i64);
                h.field(5, super::STRUCT).i32(1, entries as i64).i32(2, 0);
                h.i32(3, 3).i32(4, 3).stop().stop();
                file.extend_from_slice(&h.0);
                file.extend_from_slice(&data);
            }
            chunks.push((start, file.len() - start, c));
        }
    }
    (file, chunks)
}

/// Page `p` of column `c`: its rows' values, PLAIN; or for a column of nulls, one run of
/// definition levels 0.
fn page_data(shape: Shape, c: usize, p: usize) -> Vec<u8> {
    let mut data = Vec::new();
    if shape.nulls > 0 {
        let mut run = Thrift::default();
        run.varint(shape.nulls << 1).0.push(0);
        data.extend_from_slice(&(run.0.len() as u32).to_le_bytes());
        data.extend_from_slice(&run.0);
        return data;
    }
    for r in p * shape.rows..(p + 1) * shape.rows {
        let v = value(c, r);
        data.extend_from_slice(&(v.len() as u32).to_le_bytes());
        data.extend_from_slice(v.as_bytes());
    }
    data
}

/// `file` ended with `footer`.
fn finish(mut file: Vec<u8>, footer: &[u8]) -> Vec<u8> {
    file.extend_from_slice(footer);
    file.extend_from_slice(&(footer.len() as u32).to_le_bytes());
    file.extend_from_slice(b"PAR1");
    file
}

/// The footer of a made file whose column chunks are at `chunks` (offset, size, column).
fn footer(shape: Shape, chunks: &[(usize, usize, usize)], extra: &[u8]) -> Vec<u8> {
    let mut t = Thrift::default();
    let rows = (shape.pages * shape.rows) as i64;
    t.i32(1, 1).list(2, super::STRUCT, shape.columns + 1);
    t.binary(4, b"schema").i32(5, shape.columns as i64).stop();
    for c in 0..shape.columns {
        let name = format!("c{c}");
        let optional = i64::from(shape.nulls > 0);
        t.i32(1, 6)
            .i32(3, optional)
            .binary(4, name.as_bytes())
            .stop();
    }
    t.i64(3, rows * shape.groups as i64);
    t.list(4, super::STRUCT, shape.groups);
    for group in chunks.chunks(shape.columns.max(1)).take(shape.groups) {
        t.list(1, super::STRUCT, group.len());
        for &(offset, size, c) in group {
            t.i64(2, offset as i64).field(3, super::STRUCT);
            t.i32(1, 6).list(2, super::I32, 2).varint(0).varint(6);
            let name = format!("c{c}");
            t.list(3, super::BINARY, 1).varint(name.len() as u64);
            t.0.extend_from_slice(name.as_bytes());
            t.i32(4, 0)
                .i64(5, rows)
                .i64(6, size as i64)
                .i64(7, size as i64);
            t.i64(9, offset as i64).stop().stop();
        }
        t.i64(2, 0).i64(3, rows).stop();
    }
    t.0.extend_from_slice(extra);
    t.stop();
    t.0
}

/// The CSV a made file of `shape` renders to.
fn made_rows(shape: Shape) -> String {
    let mut csv: Vec<String> = vec![
        (0..shape.columns)
            .map(|c| format!("c{c}"))
            .collect::<Vec<_>>()
            .join(","),
    ];
    for _ in 0..shape.groups {
        for r in 0..shape.pages * shape.rows {
            csv.push(
                (0..shape.columns)
                    .map(|c| value(c, r))
                    .collect::<Vec<_>>()
                    .join(","),
            );
        }
    }
    csv.join("\n") + "\n"
}

#[test]
fn made_files_read_as_made() {
    let shape = Shape {
        columns: 3,
        groups: 2,
        pages: 3,
        rows: 4,
        ..Shape::default()
    };
    assert_eq!(rows(&made(shape, b"")), made_rows(shape));
}

#[test]
fn a_file_that_claims_a_billion_nulls_runs_out_of_budget_not_memory() {
    let shape = Shape {
        columns: 1,
        groups: 1,
        pages: 1,
        nulls: 1_000_000_000,
        ..Shape::default()
    };
    let bytes = made(shape, b"");
    assert!(bytes.len() < 300);
    assert_eq!(tables(&bytes, &mut (1 << 20)), Err(OVER_BUDGET));
    // A thousand nulls are a thousand empty lines.
    let shape = Shape {
        nulls: 1000,
        ..shape
    };
    assert_eq!(
        rows(&made(shape, b"")),
        format!("c0\n{}", "\n".repeat(1000))
    );
}

#[test]
fn overlapping_column_chunks_are_read_once() {
    let shape = Shape {
        columns: 1,
        groups: 2,
        pages: 1,
        rows: 3,
        ..Shape::default()
    };
    let (file, mut chunks) = pages(shape);
    chunks[1] = chunks[0];
    let members = read(&finish(file, &footer(shape, &chunks, b"")));
    let text = String::from_utf8(members[0].1.clone().unwrap()).unwrap();
    assert_eq!(text, "c0\nMR0-000000\nMR0-000001\nMR0-000002\n");
    assert_eq!(members[1].0, "(column c0)");
    assert!(members[1].1.is_err());
}

/// Field 99 of a struct: `depth` lists, each the one element of the one outside it.
fn nested_lists(depth: usize) -> Vec<u8> {
    let mut t = Thrift::default();
    t.field(99, super::LIST);
    for _ in 0..depth {
        t.list_header(super::LIST, 1);
    }
    t.list_header(super::I32, 0);
    t.0
}

#[test]
fn hostile_footers_are_damage_not_a_stack_overflow_or_a_long_loop() {
    let shape = Shape {
        columns: 1,
        groups: 1,
        pages: 1,
        rows: 2,
        ..Shape::default()
    };
    // Unknown fields are stepped over, to a depth.
    assert_eq!(rows(&made(shape, &nested_lists(40))), made_rows(shape));
    let deep = made(shape, &nested_lists(100_000));
    assert_eq!(tables(&deep, &mut BIG.clone()), Err(DAMAGED));
    // A list that claims 2^62 structs and holds three.
    let mut t = Thrift::default();
    t.list(99, super::STRUCT, 1 << 62).stop().stop().stop();
    let long = made(shape, &t.0);
    crate::work::take();
    assert_eq!(tables(&long, &mut BIG.clone()), Err(DAMAGED));
    assert!(crate::work::take() < 1000);
    // Groups nested past the limit.
    let mut t = Thrift::default();
    t.list(2, super::STRUCT, 202)
        .binary(4, b"schema")
        .i32(5, 1)
        .stop();
    for _ in 0..200 {
        t.i32(3, 1).binary(4, b"g").i32(5, 1).stop();
    }
    t.i32(1, 6).i32(3, 1).binary(4, b"leaf").stop().stop();
    let bytes = finish(b"PAR1".to_vec(), &t.0);
    assert_eq!(tables(&bytes, &mut BIG.clone()), Err(DAMAGED));
}

/// How a file of `n` of something is made: its shape and extra footer fields.
type MadeOf<'a> = dyn Fn(usize) -> (Shape, Vec<u8>) + 'a;

#[test]
fn work_is_linear_in_row_groups_pages_columns_rows_nulls_and_footer_fields() {
    let one = Shape {
        columns: 1,
        groups: 1,
        pages: 1,
        rows: 1,
        ..Shape::default()
    };
    let shapes: [(&str, &MadeOf); 6] = [
        ("row groups", &|n| (Shape { groups: n, ..one }, vec![])),
        ("pages", &|n| (Shape { pages: n, ..one }, vec![])),
        ("columns", &|n| (Shape { columns: n, ..one }, vec![])),
        ("rows", &|n| (Shape { rows: n, ..one }, vec![])),
        ("nulls", &|n| {
            (
                Shape {
                    nulls: n as u64,
                    ..one
                },
                vec![],
            )
        }),
        ("footer fields", &|n| (one, nested_lists(60).repeat(n))),
    ];
    for (name, shape) in shapes {
        let work = |n: usize| {
            let (shape, extra) = shape(n);
            let bytes = made(shape, &extra);
            crate::work::take();
            let members = tables(&bytes, &mut BIG.clone()).expect(name);
            assert_eq!(members.len(), 1, "{name}");
            crate::work::take()
        };
        let (one, four) = (work(200), work(800));
        assert!(four <= one * 9 / 2, "{name}: {one} then {four}");
    }
}
