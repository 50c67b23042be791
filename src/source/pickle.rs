//! Python pickles read for what they hold: a pandas DataFrame (`df.to_pickle("p.pkl")`) as
//! its rows, any other pickle as its values. A DataFrame is an archive whose one member,
//! [`ROWS`], is its rows as CSV (a header of the column names, then one line per row), as a
//! Parquet file's are ([`parquet`](super::parquet)). A pickle keeps a numeric column (an SSN
//! or MRN stored as `int64`, every `datetime64` date) as raw numpy bytes, its column names
//! far from the values, and with pandas 3's default string dtype (pyarrow installed) a
//! column's strings as one Arrow buffer run together (`536-90-4399418-27-3306`): read as
//! text runs, none of them matched. Rendered, the rows meet every rule a CSV export meets.
//!
//! The reader is a subset of the pickle machine (protocols 2 to 5), in safe Rust, that runs
//! no code: a call (`REDUCE`, `NEWOBJ`, `NEWOBJ_EX`) or a `BUILD` makes an opaque object that
//! records the callable's `module.name`, its arguments and its state. Every value lives in
//! one arena and is named by its index, so the memo and `DUP` share values at no cost and
//! nothing is walked recursively while the pickle runs; what reads the result afterwards
//! follows fixed paths to a bounded depth (`MAX_DEPTH`). Strings and bytes are spans of the
//! input, each length checked against what is left of it before it is used; every value is
//! charged to the archive budget as it is made, and so is each cell rendered. Out-of-band
//! buffers (protocol 5's `NEXT_BUFFER`) are not in the file: the machine stops there, as at
//! damage (below).
//!
//! A DataFrame is read from its `BlockManager` (`_unpickle_block`/`new_block` blocks, or the
//! state pandas before 2 wrote), each block placed by its `mgr_locs` (a slice or an integer
//! array), under the names of the columns `Index`. Blocks may be numpy arrays (`_reconstruct`
//! with its state, or protocol 5's `_frombuffer`) of integers, floats, booleans,
//! `datetime64`, `timedelta64`, fixed-width strings or Python objects; pandas'
//! `DatetimeArray`, `StringArray` (`python` storage) and masked (`Int64`, `boolean`) arrays;
//! and `ArrowStringArray` (pandas 3's default strings), whose pyarrow array (or chunked array)
//! holds an offsets and a data buffer, split here into the values.
//!
//! Values are shown as pandas shows them: integers and floats in decimal (an integral float
//! as its digits), booleans `True` and `False`, dates and times `YYYY-MM-DD HH:MM:SS` (the
//! date alone at midnight), missing values (`None`, `NaN`, `NaT`, nulls) as empty fields.
//!
//! Any other pickle, or a DataFrame laid out in a way not read here, is the member
//! [`VALUES`]: every string, every printable bytes value and every integer in it, in the
//! pickle's order, one per line, with pyarrow string arrays split into their values (no
//! values run together, as text runs left them). What the machine does not read is the
//! member [`TEXT_RUNS`], read as any binary file is: the bytes after its `STOP` (a second
//! pickle dumped into the same file, anything appended), or, when a pickle is damaged, cut
//! short or not run here (protocol 5's out-of-band buffers, joblib's numpy bytes written
//! between opcodes), everything from the opcode it stopped at; the values made before are
//! still [`VALUES`]. So no pickle is unscannable, and none hides more than its text runs
//! showed.

use super::archive::{OVER_BUDGET, charge, csv_line};
use super::calendar::{decimal, timestamp};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::io::Write as _;
use std::ops::Range;

/// The name of a DataFrame's member of rows, as CSV.
pub const ROWS: &str = "(rows)";

/// The name of the member listing the values of a pickle that is not a DataFrame read here.
pub const VALUES: &str = "(values)";

/// The name of the member of the text runs of what the pickle machine did not read: bytes
/// after its `STOP`, or from the opcode it stopped at.
pub const TEXT_RUNS: &str = "(text runs)";

/// Why a pickle's values could not be listed: what it made is not what it says.
const DAMAGED: &str = "a damaged pickle";

/// A member of the archive a pickle is: its name and its text, or why it cannot be read.
pub type Table = (String, Result<Vec<u8>, &'static str>);

/// What each value made is charged, on top of the elements a container holds.
const VALUE_COST: usize = 32;

/// What each element of a container, and each cell rendered, is charged.
const ELEMENT_COST: usize = 8;

/// How deep the reading of the result follows objects inside objects.
const MAX_DEPTH: usize = 12;

/// The most columns a frame is read with: a block placed past them is no frame's (its
/// values are still listed).
const MAX_COLUMNS: usize = 1 << 20;

/// The opcodes read, by their byte.
mod op {
    pub const MARK: u8 = b'(';
    pub const STOP: u8 = b'.';
    pub const POP: u8 = b'0';
    pub const POP_MARK: u8 = b'1';
    pub const DUP: u8 = b'2';
    pub const BININT: u8 = b'J';
    pub const BININT1: u8 = b'K';
    pub const BININT2: u8 = b'M';
    pub const NONE: u8 = b'N';
    pub const REDUCE: u8 = b'R';
    pub const BINSTRING: u8 = b'T';
    pub const SHORT_BINSTRING: u8 = b'U';
    pub const BINUNICODE: u8 = b'X';
    pub const APPEND: u8 = b'a';
    pub const BUILD: u8 = b'b';
    pub const GLOBAL: u8 = b'c';
    pub const DICT: u8 = b'd';
    pub const EMPTY_DICT: u8 = b'}';
    pub const APPENDS: u8 = b'e';
    pub const GET: u8 = b'g';
    pub const BINGET: u8 = b'h';
    pub const LONG_BINGET: u8 = b'j';
    pub const LIST: u8 = b'l';
    pub const EMPTY_LIST: u8 = b']';
    pub const PUT: u8 = b'p';
    pub const BINPUT: u8 = b'q';
    pub const LONG_BINPUT: u8 = b'r';
    pub const SETITEM: u8 = b's';
    pub const TUPLE: u8 = b't';
    pub const EMPTY_TUPLE: u8 = b')';
    pub const SETITEMS: u8 = b'u';
    pub const BINFLOAT: u8 = b'G';
    pub const PROTO: u8 = 0x80;
    pub const NEWOBJ: u8 = 0x81;
    pub const TUPLE1: u8 = 0x85;
    pub const TUPLE2: u8 = 0x86;
    pub const TUPLE3: u8 = 0x87;
    pub const NEWTRUE: u8 = 0x88;
    pub const NEWFALSE: u8 = 0x89;
    pub const LONG1: u8 = 0x8a;
    pub const LONG4: u8 = 0x8b;
    pub const BINBYTES: u8 = b'B';
    pub const SHORT_BINBYTES: u8 = b'C';
    pub const SHORT_BINUNICODE: u8 = 0x8c;
    pub const BINUNICODE8: u8 = 0x8d;
    pub const BINBYTES8: u8 = 0x8e;
    pub const EMPTY_SET: u8 = 0x8f;
    pub const ADDITEMS: u8 = 0x90;
    pub const FROZENSET: u8 = 0x91;
    pub const NEWOBJ_EX: u8 = 0x92;
    pub const STACK_GLOBAL: u8 = 0x93;
    pub const MEMOIZE: u8 = 0x94;
    pub const FRAME: u8 = 0x95;
    pub const BYTEARRAY8: u8 = 0x96;
    pub const NEXT_BUFFER: u8 = 0x97;
    pub const READONLY_BUFFER: u8 = 0x98;
}

/// The opcodes a pickle may start with after its `PROTO`: those that begin a value.
const FIRST: &[u8] = &[
    op::FRAME,
    op::MARK,
    op::GLOBAL,
    op::STACK_GLOBAL,
    op::SHORT_BINUNICODE,
    op::BINUNICODE,
    op::BINUNICODE8,
    op::SHORT_BINSTRING,
    op::BINSTRING,
    op::SHORT_BINBYTES,
    op::BINBYTES,
    op::BINBYTES8,
    op::BYTEARRAY8,
    op::EMPTY_DICT,
    op::EMPTY_LIST,
    op::EMPTY_TUPLE,
    op::EMPTY_SET,
    op::NONE,
    op::NEWTRUE,
    op::NEWFALSE,
    op::BININT,
    op::BININT1,
    op::BININT2,
    op::LONG1,
    op::LONG4,
    op::BINFLOAT,
];

/// Whether `bytes` start as a pickle of protocol 2 to 5: `PROTO` and its version, then an
/// opcode that begins a value.
pub fn is_pickle(bytes: &[u8]) -> bool {
    matches!(bytes, [op::PROTO, 2..=5, next, ..] if FIRST.contains(next))
}

/// The pickle `bytes` as its members: [`ROWS`] for a pandas DataFrame read here, else
/// [`VALUES`]; then [`TEXT_RUNS`] when bytes were left unread. What it is made of and
/// rendered to is taken from `left`, the archive's budget.
///
/// # Errors
///
/// Why the pickle cannot be read, in words for the report: it expands past the budget.
pub fn tables(bytes: &[u8], left: &mut u64) -> Result<Vec<Table>, &'static str> {
    let mut vm = Vm::new(bytes);
    let run = vm.run(left);
    // What the machine did not read (bytes after its `STOP`, a second pickle dumped into
    // the same file, what follows the opcode it stopped at) is read as text runs, as any
    // binary file is: stopping there hid it.
    let rest_from = if run.is_ok() { vm.at } else { vm.op_at };
    let rest = super::content::text_runs(&bytes[rest_from..]);
    charge(left, rest.len())?;
    let mut out = match run {
        Err(Fail::Budget) => return Err(OVER_BUDGET),
        Ok(root) => {
            let mut reading = Reading::new(&vm, left);
            match reading.frame(root) {
                Ok(Some(rows)) => vec![(ROWS.to_owned(), Ok(rows))],
                Err(Fail::Budget) => return Err(OVER_BUDGET),
                Ok(None) | Err(Fail::Damaged) => vec![(VALUES.to_owned(), Ok(reading.values()?))],
            }
        }
        // Damaged, cut short or holding buffers kept outside it (joblib writes its numpy
        // arrays' bytes into the stream between opcodes): the values made before.
        Err(Fail::Damaged) => {
            let values = Reading::new(&vm, left).values()?;
            if values.is_empty() {
                Vec::new()
            } else {
                vec![(VALUES.to_owned(), Ok(values))]
            }
        }
    };
    if !rest.is_empty() {
        out.push((TEXT_RUNS.to_owned(), Ok(rest)));
    }
    Ok(out)
}

/// Why the pickle machine stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fail {
    /// Damaged, cut short, or not to be run here (out-of-band buffers): the machine stops.
    Damaged,
    Budget,
}

/// A value's index in the arena.
type Id = usize;

/// A value the pickle made. Strings and bytes are spans of the input.
#[derive(Debug, Clone)]
enum Value {
    None,
    Bool(bool),
    Int(i128),
    /// An integer too long for an `i128`.
    BigInt,
    Float(f64),
    Str(Range<usize>),
    Bytes(Range<usize>),
    Tuple(Vec<Id>),
    List(Vec<Id>),
    Dict(Vec<(Id, Id)>),
    Set(Vec<Id>),
    /// `module.name`, the module's and the name's spans.
    Global(Range<usize>, Range<usize>),
    Object(Object),
}

/// What a call or `BUILD` made: the callable, its arguments, the state built into it, and
/// what was appended or set on it.
#[derive(Debug, Clone, Default)]
struct Object {
    callable: Option<Id>,
    args: Option<Id>,
    state: Option<Id>,
    items: Vec<Id>,
}

/// The pickle machine: the input, the values made, the stack, the marks and the memo, and
/// the order the scalars (and pyarrow arrays) were made in.
struct Vm<'a> {
    bytes: &'a [u8],
    at: usize,
    /// Where the opcode being run starts.
    op_at: usize,
    values: Vec<Value>,
    stack: Vec<Id>,
    marks: Vec<usize>,
    memo: HashMap<u64, Id>,
    order: Vec<Id>,
}

impl<'a> Vm<'a> {
    fn new(bytes: &'a [u8]) -> Vm<'a> {
        Vm {
            bytes,
            at: 0,
            op_at: 0,
            values: Vec::new(),
            stack: Vec::new(),
            marks: Vec::new(),
            memo: HashMap::new(),
            order: Vec::new(),
        }
    }

    /// The next `n` bytes of the input, as a span; checked against what is left.
    fn take(&mut self, n: u64) -> Result<Range<usize>, Fail> {
        let left = (self.bytes.len() - self.at) as u64;
        if n > left {
            return Err(Fail::Damaged);
        }
        let start = self.at;
        // `n` is at most what is left of a slice, so it fits a `usize`.
        self.at += n as usize;
        Ok(start..self.at)
    }

    /// The unsigned little-endian number of the next `n` bytes.
    fn uint(&mut self, n: u64) -> Result<u64, Fail> {
        let span = self.take(n)?;
        Ok(self.bytes[span]
            .iter()
            .rev()
            .fold(0, |v, &b| (v << 8) | u64::from(b)))
    }

    /// The next line (up to `\n`), as a span without its end.
    fn line(&mut self) -> Result<Range<usize>, Fail> {
        let rest = &self.bytes[self.at..];
        let end = rest.iter().position(|&b| b == b'\n').ok_or(Fail::Damaged)?;
        let span = self.at..self.at + end;
        self.at += end + 1;
        Ok(span)
    }

    /// Makes `value` (charged to `left`) and pushes it.
    fn push(&mut self, value: Value, left: &mut u64) -> Result<Id, Fail> {
        let elements = match &value {
            Value::Tuple(v) | Value::List(v) | Value::Set(v) => v.len(),
            Value::Dict(v) => 2 * v.len(),
            _ => 0,
        };
        let scalar = matches!(value, Value::Int(_) | Value::Str(_) | Value::Bytes(_));
        spend(left, VALUE_COST + ELEMENT_COST * elements)?;
        let id = self.values.len();
        self.values.push(value);
        if scalar {
            self.order.push(id);
        }
        self.stack.push(id);
        Ok(id)
    }

    fn pop(&mut self) -> Result<Id, Fail> {
        // Values above a mark are not to be popped through it.
        if self.marks.last().is_some_and(|&m| m >= self.stack.len()) {
            return Err(Fail::Damaged);
        }
        self.stack.pop().ok_or(Fail::Damaged)
    }

    fn top(&self) -> Result<Id, Fail> {
        if self.marks.last().is_some_and(|&m| m >= self.stack.len()) {
            return Err(Fail::Damaged);
        }
        self.stack.last().copied().ok_or(Fail::Damaged)
    }

    /// The values above the last mark, which is dropped.
    fn pop_mark(&mut self) -> Result<Vec<Id>, Fail> {
        let mark = self.marks.pop().ok_or(Fail::Damaged)?;
        Ok(self.stack.split_off(mark))
    }

    fn memo_get(&mut self, key: u64) -> Result<(), Fail> {
        let id = *self.memo.get(&key).ok_or(Fail::Damaged)?;
        self.stack.push(id);
        Ok(())
    }

    fn memo_put(&mut self, key: u64, left: &mut u64) -> Result<(), Fail> {
        let id = self.top()?;
        spend(left, ELEMENT_COST)?;
        self.memo.insert(key, id);
        Ok(())
    }

    /// The number of a decimal line (`PUT`, `GET`).
    fn decimal_line(&mut self) -> Result<u64, Fail> {
        let span = self.line()?;
        std::str::from_utf8(&self.bytes[span])
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .ok_or(Fail::Damaged)
    }

    /// Appends `items` to the list (or object) `target`.
    fn extend(&mut self, target: Id, items: Vec<Id>, left: &mut u64) -> Result<(), Fail> {
        spend(left, ELEMENT_COST * items.len())?;
        match &mut self.values[target] {
            Value::List(list) | Value::Set(list) => list.extend(items),
            Value::Object(object) => object.items.extend(items),
            _ => return Err(Fail::Damaged),
        }
        Ok(())
    }

    /// Sets the pairs of `items` on the dict (or object) `target`.
    fn set_items(&mut self, target: Id, items: Vec<Id>, left: &mut u64) -> Result<(), Fail> {
        if !items.len().is_multiple_of(2) {
            return Err(Fail::Damaged);
        }
        spend(left, ELEMENT_COST * items.len())?;
        match &mut self.values[target] {
            Value::Dict(dict) => dict.extend(items.chunks(2).map(|p| (p[0], p[1]))),
            Value::Object(object) => object.items.extend(items),
            _ => return Err(Fail::Damaged),
        }
        Ok(())
    }

    /// Pushes an object made by calling `callable` with `args`.
    fn call(&mut self, callable: Id, args: Id, left: &mut u64) -> Result<(), Fail> {
        let object = Object {
            callable: Some(callable),
            args: Some(args),
            ..Object::default()
        };
        let id = self.push(Value::Object(object), left)?;
        // A pyarrow array is listed with the scalars, to be split into its values.
        if self
            .global(callable)
            .is_some_and(|(_, name)| name == b"_restore_array")
        {
            self.order.push(id);
        }
        Ok(())
    }

    /// `module.name` of the global `id`.
    fn global(&self, id: Id) -> Option<(&'a [u8], &'a [u8])> {
        match &self.values[id] {
            Value::Global(module, name) => {
                Some((&self.bytes[module.clone()], &self.bytes[name.clone()]))
            }
            _ => None,
        }
    }

    /// Runs the pickle to its `STOP`: the value it leaves.
    fn run(&mut self, left: &mut u64) -> Result<Id, Fail> {
        loop {
            crate::work::add(1);
            self.op_at = self.at;
            let code = self.bytes[self.take(1)?.start];
            match code {
                op::PROTO => {
                    self.take(1)?;
                }
                op::FRAME => {
                    self.take(8)?;
                }
                op::STOP => {
                    let root = self.pop()?;
                    return if self.marks.is_empty() {
                        Ok(root)
                    } else {
                        Err(Fail::Damaged)
                    };
                }
                op::MARK => self.marks.push(self.stack.len()),
                op::POP => {
                    // POP discards a mark too when one is on top.
                    if self.marks.last() == Some(&self.stack.len()) {
                        self.marks.pop();
                    } else {
                        self.pop()?;
                    }
                }
                op::POP_MARK => {
                    self.pop_mark()?;
                }
                op::DUP => {
                    let top = self.top()?;
                    self.stack.push(top);
                }
                op::MEMOIZE => {
                    let key = self.memo.len() as u64;
                    self.memo_put(key, left)?;
                }
                op::PUT => {
                    let key = self.decimal_line()?;
                    self.memo_put(key, left)?;
                }
                op::BINPUT => {
                    let key = self.uint(1)?;
                    self.memo_put(key, left)?;
                }
                op::LONG_BINPUT => {
                    let key = self.uint(4)?;
                    self.memo_put(key, left)?;
                }
                op::GET => {
                    let key = self.decimal_line()?;
                    self.memo_get(key)?;
                }
                op::BINGET => {
                    let key = self.uint(1)?;
                    self.memo_get(key)?;
                }
                op::LONG_BINGET => {
                    let key = self.uint(4)?;
                    self.memo_get(key)?;
                }
                op::NONE => {
                    self.push(Value::None, left)?;
                }
                op::NEWTRUE | op::NEWFALSE => {
                    self.push(Value::Bool(code == op::NEWTRUE), left)?;
                }
                op::BININT => {
                    let n = self.uint(4)? as u32 as i32;
                    self.push(Value::Int(i128::from(n)), left)?;
                }
                op::BININT1 => {
                    let n = self.uint(1)?;
                    self.push(Value::Int(i128::from(n)), left)?;
                }
                op::BININT2 => {
                    let n = self.uint(2)?;
                    self.push(Value::Int(i128::from(n)), left)?;
                }
                op::LONG1 | op::LONG4 => {
                    let n = self.uint(if code == op::LONG1 { 1 } else { 4 })?;
                    let span = self.take(n)?;
                    self.push(long(&self.bytes[span]), left)?;
                }
                op::BINFLOAT => {
                    let span = self.take(8)?;
                    let mut raw = [0; 8];
                    raw.copy_from_slice(&self.bytes[span]);
                    self.push(Value::Float(f64::from_be_bytes(raw)), left)?;
                }
                op::SHORT_BINUNICODE | op::BINUNICODE | op::BINUNICODE8 => {
                    let n = self.uint(match code {
                        op::SHORT_BINUNICODE => 1,
                        op::BINUNICODE => 4,
                        _ => 8,
                    })?;
                    let span = self.take(n)?;
                    self.push(Value::Str(span), left)?;
                }
                op::SHORT_BINSTRING | op::BINSTRING => {
                    let n = self.uint(if code == op::SHORT_BINSTRING { 1 } else { 4 })?;
                    let span = self.take(n)?;
                    self.push(Value::Str(span), left)?;
                }
                op::SHORT_BINBYTES | op::BINBYTES | op::BINBYTES8 | op::BYTEARRAY8 => {
                    let n = self.uint(match code {
                        op::SHORT_BINBYTES => 1,
                        op::BINBYTES => 4,
                        _ => 8,
                    })?;
                    let span = self.take(n)?;
                    self.push(Value::Bytes(span), left)?;
                }
                // Protocol 5's out-of-band buffers are not in the file.
                op::NEXT_BUFFER => return Err(Fail::Damaged),
                op::READONLY_BUFFER => {
                    self.top()?;
                }
                op::EMPTY_TUPLE => {
                    self.push(Value::Tuple(Vec::new()), left)?;
                }
                op::TUPLE1 | op::TUPLE2 | op::TUPLE3 => {
                    let n = usize::from(code - op::TUPLE1 + 1);
                    let mut items = Vec::with_capacity(n);
                    for _ in 0..n {
                        items.push(self.pop()?);
                    }
                    items.reverse();
                    self.push(Value::Tuple(items), left)?;
                }
                op::TUPLE => {
                    let items = self.pop_mark()?;
                    self.push(Value::Tuple(items), left)?;
                }
                op::EMPTY_LIST => {
                    self.push(Value::List(Vec::new()), left)?;
                }
                op::LIST => {
                    let items = self.pop_mark()?;
                    self.push(Value::List(items), left)?;
                }
                op::APPEND => {
                    let item = self.pop()?;
                    let list = self.top()?;
                    self.extend(list, vec![item], left)?;
                }
                op::APPENDS | op::ADDITEMS => {
                    let items = self.pop_mark()?;
                    let list = self.top()?;
                    self.extend(list, items, left)?;
                }
                op::EMPTY_DICT => {
                    self.push(Value::Dict(Vec::new()), left)?;
                }
                op::DICT => {
                    let items = self.pop_mark()?;
                    if !items.len().is_multiple_of(2) {
                        return Err(Fail::Damaged);
                    }
                    let pairs = items.chunks(2).map(|p| (p[0], p[1])).collect();
                    self.push(Value::Dict(pairs), left)?;
                }
                op::SETITEM => {
                    let value = self.pop()?;
                    let key = self.pop()?;
                    let dict = self.top()?;
                    self.set_items(dict, vec![key, value], left)?;
                }
                op::SETITEMS => {
                    let items = self.pop_mark()?;
                    let dict = self.top()?;
                    self.set_items(dict, items, left)?;
                }
                op::EMPTY_SET => {
                    self.push(Value::Set(Vec::new()), left)?;
                }
                op::FROZENSET => {
                    let items = self.pop_mark()?;
                    self.push(Value::Set(items), left)?;
                }
                op::GLOBAL => {
                    let module = self.line()?;
                    let name = self.line()?;
                    self.push(Value::Global(module, name), left)?;
                }
                op::STACK_GLOBAL => {
                    let name = self.pop()?;
                    let module = self.pop()?;
                    match (&self.values[module], &self.values[name]) {
                        (Value::Str(m), Value::Str(n)) => {
                            let global = Value::Global(m.clone(), n.clone());
                            self.push(global, left)?;
                        }
                        _ => return Err(Fail::Damaged),
                    }
                }
                op::REDUCE | op::NEWOBJ => {
                    let args = self.pop()?;
                    let callable = self.pop()?;
                    self.call(callable, args, left)?;
                }
                op::NEWOBJ_EX => {
                    let _kwargs = self.pop()?;
                    let args = self.pop()?;
                    let callable = self.pop()?;
                    self.call(callable, args, left)?;
                }
                op::BUILD => {
                    let state = self.pop()?;
                    let target = self.top()?;
                    match &mut self.values[target] {
                        Value::Object(object) => object.state = Some(state),
                        // State set on a value that is not an object (a dict updated): kept
                        // as an object of its own in the value's place.
                        _ => {
                            let object = Object {
                                args: Some(target),
                                state: Some(state),
                                ..Object::default()
                            };
                            self.pop()?;
                            self.push(Value::Object(object), left)?;
                        }
                    }
                }
                _ => return Err(Fail::Damaged),
            }
        }
    }
}

/// The integer of `LONG1`/`LONG4`'s little-endian two's-complement bytes.
fn long(raw: &[u8]) -> Value {
    if raw.len() > 16 {
        return Value::BigInt;
    }
    let negative = raw.last().is_some_and(|&b| b & 0x80 != 0);
    let mut full = [if negative { 0xff } else { 0 }; 16];
    full[..raw.len()].copy_from_slice(raw);
    Value::Int(i128::from_le_bytes(full))
}

/// Takes `n` from the budget.
fn spend(left: &mut u64, n: usize) -> Result<(), Fail> {
    crate::work::add(n);
    charge(left, n).map_err(|_| Fail::Budget)
}

/// A numpy dtype, as far as it is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Dtype {
    kind: u8,
    size: usize,
    big: bool,
    /// For `datetime64`: how many of its units make a second (0 for days), or `None` for a
    /// unit not read.
    per_second: Option<i64>,
}

/// The elements of a numpy array: raw bytes, or Python objects.
enum Data<'v> {
    Raw(Cow<'v, [u8]>),
    Objects(&'v [Id]),
}

/// A numpy array of one or two dimensions, read as `rows` rows of `len` values.
struct NdArray<'v> {
    dtype: Dtype,
    rows: usize,
    len: usize,
    fortran: bool,
    data: Data<'v>,
}

impl NdArray<'_> {
    /// Where value `i` of row `r` is, in elements.
    fn index(&self, r: usize, i: usize) -> usize {
        if self.fortran {
            i * self.rows + r
        } else {
            r * self.len + i
        }
    }
}

/// A column block: its rows (each the column's values, rendered; empty when missing).
type Block = Vec<Vec<Vec<u8>>>;

/// The reading of a pickle's result.
struct Reading<'v, 'l> {
    vm: &'v Vm<'v>,
    left: &'l mut u64,
}

impl<'v, 'l> Reading<'v, 'l> {
    fn new(vm: &'v Vm<'v>, left: &'l mut u64) -> Reading<'v, 'l> {
        Reading { vm, left }
    }

    fn value(&self, id: Id) -> &'v Value {
        &self.vm.values[id]
    }

    fn spend(&mut self, n: usize) -> Result<(), Fail> {
        spend(self.left, n)
    }

    fn str(&self, id: Id) -> Option<&'v [u8]> {
        match self.value(id) {
            Value::Str(span) => Some(&self.vm.bytes[span.clone()]),
            _ => None,
        }
    }

    fn int(&self, id: Id) -> Option<i128> {
        match self.value(id) {
            Value::Int(n) => Some(*n),
            Value::Bool(b) => Some(i128::from(*b)),
            _ => None,
        }
    }

    fn seq(&self, id: Id) -> Option<&'v [Id]> {
        match self.value(id) {
            Value::Tuple(items) | Value::List(items) => Some(items),
            _ => None,
        }
    }

    fn object(&self, id: Id) -> Option<&'v Object> {
        match self.value(id) {
            Value::Object(object) => Some(object),
            _ => None,
        }
    }

    /// The value under the string key `key` of dict `id`.
    fn key(&mut self, id: Id, key: &[u8]) -> Result<Option<Id>, Fail> {
        let Value::Dict(pairs) = self.value(id) else {
            return Ok(None);
        };
        self.spend(pairs.len())?;
        Ok(pairs
            .iter()
            .find(|&&(k, _)| self.str(k) == Some(key))
            .map(|&(_, v)| v))
    }

    /// `module.name` of the callable of object `id`.
    fn callable(&self, id: Id) -> Option<(&'v [u8], &'v [u8])> {
        self.vm.global(self.object(id)?.callable?)
    }

    /// The `i`th argument of object `id`.
    fn arg(&self, id: Id, i: usize) -> Option<Id> {
        self.seq(self.object(id)?.args?)?.get(i).copied()
    }

    /// The class of object `id`: its callable, or the class `copyreg` makes it of.
    fn class(&self, id: Id) -> Option<(&'v [u8], &'v [u8])> {
        let (module, name) = self.callable(id)?;
        if module == b"copyreg" || module == b"copy_reg" {
            return self.vm.global(self.arg(id, 0)?);
        }
        Some((module, name))
    }

    /// The state built into object `id`.
    fn state(&self, id: Id) -> Option<Id> {
        self.object(id)?.state
    }

    /// The bytes of `id`: bytes, a `bytearray` or pyarrow buffer of them, or (protocol 2)
    /// `_codecs.encode(text, "latin1")`.
    fn bytes(&mut self, id: Id, depth: usize) -> Result<Option<Cow<'v, [u8]>>, Fail> {
        if depth > MAX_DEPTH {
            return Ok(None);
        }
        if let Value::Bytes(span) = self.value(id) {
            return Ok(Some(Cow::Borrowed(&self.vm.bytes[span.clone()])));
        }
        let Some((module, name)) = self.callable(id) else {
            return Ok(None);
        };
        let Some(arg) = self.arg(id, 0) else {
            return Ok(None);
        };
        match (module, name) {
            (b"_codecs", b"encode") => {
                let Some(text) = self.str(arg).and_then(|t| std::str::from_utf8(t).ok()) else {
                    return Ok(None);
                };
                self.spend(text.len())?;
                let latin1: Option<Vec<u8>> = text.chars().map(|c| u8::try_from(c).ok()).collect();
                Ok(latin1.map(Cow::Owned))
            }
            (_, b"bytearray" | b"py_buffer" | b"bytes") => self.bytes(arg, depth + 1),
            _ => Ok(None),
        }
    }

    /// The rows and columns of DataFrame `root` as CSV; `None` when it is not one read here.
    fn frame(&mut self, root: Id) -> Result<Option<Vec<u8>>, Fail> {
        let Some((module, name)) = self.class(root) else {
            return Ok(None);
        };
        if !module.starts_with(b"pandas") || name != b"DataFrame" {
            return Ok(None);
        }
        let Some(state) = self.state(root) else {
            return Ok(None);
        };
        let mgr = match self.key(state, b"_mgr")? {
            Some(mgr) => mgr,
            None => match self.key(state, b"_data")? {
                Some(mgr) => mgr,
                None => return Ok(None),
            },
        };
        let Some((axes, blocks)) = self.manager(mgr)? else {
            return Ok(None);
        };
        let Some(&columns) = axes.first() else {
            return Ok(None);
        };
        let mut placed: Vec<(usize, Vec<Vec<u8>>)> = Vec::new();
        let mut width = 0;
        for (values, placement) in blocks {
            let Some(block) = self.array(values, 0)? else {
                return Ok(None);
            };
            let Some(at) = self.placement(placement, block.len())? else {
                return Ok(None);
            };
            for (column, row) in at.into_iter().zip(block) {
                width = width.max(column + 1);
                placed.push((column, row));
            }
        }
        let Some(names) = self.names(columns, width)? else {
            return Ok(None);
        };
        let width = width.max(names.len());
        // A row has a field for every column up to the last placed: paid for before it is
        // sized.
        self.spend(ELEMENT_COST * width)?;
        let mut cols: Vec<Option<Vec<Vec<u8>>>> = (0..width).map(|_| None).collect();
        let mut height = 0;
        for (column, row) in placed {
            height = height.max(row.len());
            cols[column] = Some(row);
        }
        let mut text = Vec::new();
        let mut fields: Vec<&[u8]> = Vec::with_capacity(width);
        fields.extend((0..width).map(|c| names.get(c).map_or(&b""[..], Vec::as_slice)));
        self.line(&mut text, &fields)?;
        for i in 0..height {
            fields.clear();
            fields.extend(cols.iter().map(|col| {
                col.as_ref()
                    .and_then(|c| c.get(i))
                    .map_or(&b""[..], Vec::as_slice)
            }));
            self.line(&mut text, &fields)?;
        }
        Ok(Some(text))
    }

    /// Appends a CSV line of `fields`, charged as it is written.
    fn line(&mut self, text: &mut Vec<u8>, fields: &[&[u8]]) -> Result<(), Fail> {
        let before = text.len();
        csv_line(text, fields.iter().copied());
        self.spend(text.len() - before)
    }

    /// A block manager's axes and blocks (each its values and placement).
    #[allow(clippy::type_complexity)]
    fn manager(&mut self, mgr: Id) -> Result<Option<(Vec<Id>, Vec<(Id, Id)>)>, Fail> {
        // pandas 2 on: `BlockManager(blocks, axes)`, each block `_unpickle_block(values,
        // placement, ndim)`.
        if self
            .callable(mgr)
            .is_some_and(|(_, n)| n.ends_with(b"BlockManager"))
        {
            let (Some(blocks), Some(axes)) = (self.arg(mgr, 0), self.arg(mgr, 1)) else {
                return Ok(None);
            };
            let (Some(blocks), Some(axes)) = (self.seq(blocks), self.seq(axes)) else {
                return Ok(None);
            };
            let mut out = Vec::with_capacity(blocks.len());
            for &block in blocks {
                match (self.arg(block, 0), self.arg(block, 1)) {
                    (Some(values), Some(placement)) => out.push((values, placement)),
                    _ => return Ok(None),
                }
            }
            return Ok(Some((axes.to_vec(), out)));
        }
        // Before: a `BlockManager` built with the state `(axes, values, items, extra)`,
        // `extra` holding `{"0.14.1": {"axes": ..., "blocks": [{"values", "mgr_locs"}]}}`.
        let Some(state) = self.state(mgr).and_then(|s| self.seq(s)) else {
            return Ok(None);
        };
        for &part in state {
            let Some(extra) = self.key(part, b"0.14.1")? else {
                continue;
            };
            let (Some(axes), Some(blocks)) =
                (self.key(extra, b"axes")?, self.key(extra, b"blocks")?)
            else {
                return Ok(None);
            };
            let (Some(axes), Some(blocks)) = (self.seq(axes), self.seq(blocks)) else {
                return Ok(None);
            };
            let mut out = Vec::with_capacity(blocks.len());
            for &block in blocks {
                match (self.key(block, b"values")?, self.key(block, b"mgr_locs")?) {
                    (Some(values), Some(placement)) => out.push((values, placement)),
                    _ => return Ok(None),
                }
            }
            return Ok(Some((axes.to_vec(), out)));
        }
        Ok(None)
    }

    /// The columns of a block of `rows` rows: a `slice` or an integer array, each below
    /// [`MAX_COLUMNS`].
    fn placement(&mut self, id: Id, rows: usize) -> Result<Option<Vec<usize>>, Fail> {
        if self
            .callable(id)
            .is_some_and(|g| g == (b"builtins", b"slice"))
        {
            let n = |k| self.arg(id, k).and_then(|a| self.int(a));
            let (Some(start), step) = (n(0), n(2).unwrap_or(1)) else {
                return Ok(None);
            };
            if step <= 0 || start < 0 {
                return Ok(None);
            }
            self.spend(ELEMENT_COST * rows)?;
            // Columns past 2^20 are no frame's (the rendering sizes a row by them).
            let at = (0..rows as i128)
                .map(|k| {
                    k.checked_mul(step)
                        .and_then(|d| d.checked_add(start))
                        .and_then(|n| usize::try_from(n).ok())
                        .filter(|&n| n < MAX_COLUMNS)
                })
                .collect();
            return Ok(at);
        }
        let Some(array) = self.ndarray(id, 0)? else {
            return Ok(None);
        };
        if !matches!(array.dtype.kind, b'i' | b'u') || array.rows != 1 {
            return Ok(None);
        }
        let mut at = Vec::new();
        for i in 0..array.len.min(rows) {
            self.spend(ELEMENT_COST)?;
            let Data::Raw(raw) = &array.data else {
                return Ok(None);
            };
            let Some(n) = integer(raw, array.dtype, i) else {
                return Ok(None);
            };
            match usize::try_from(n) {
                Ok(n) if n < MAX_COLUMNS => at.push(n),
                _ => return Ok(None),
            }
        }
        Ok(Some(at))
    }

    /// The column names of the columns `Index` `id`, at most `width` of a range.
    fn names(&mut self, id: Id, width: usize) -> Result<Option<Vec<Vec<u8>>>, Fail> {
        if self.callable(id).is_none_or(|(_, n)| n != b"_new_Index") {
            return Ok(None);
        }
        let Some(fields) = self.arg(id, 1) else {
            return Ok(None);
        };
        if let Some(data) = self.key(fields, b"data")? {
            return Ok(self
                .array(data, 0)?
                .and_then(|mut rows| (rows.len() == 1).then(|| rows.swap_remove(0))));
        }
        // A `RangeIndex`: its numbers, as many as there are columns.
        let mut n = |k: &[u8]| -> Result<Option<i128>, Fail> {
            Ok(self.key(fields, k)?.and_then(|v| self.int(v)))
        };
        let (Some(start), Some(step)) = (n(b"start")?, n(b"step")?) else {
            return Ok(None);
        };
        self.spend(ELEMENT_COST * width)?;
        Ok(Some(
            (0..width as i128)
                .map(|k| {
                    let n = start.saturating_add(k.saturating_mul(step));
                    n.to_string().into_bytes()
                })
                .collect(),
        ))
    }

    /// The rows of array `id` rendered: a numpy array, or a pandas array of one.
    fn array(&mut self, id: Id, depth: usize) -> Result<Option<Block>, Fail> {
        if depth > MAX_DEPTH {
            return Ok(None);
        }
        if let Some(array) = self.ndarray(id, depth)? {
            return self.render(&array).map(Some);
        }
        let Some(object) = self.object(id) else {
            return Ok(None);
        };
        let Some(state) = object.state else {
            return Ok(None);
        };
        // `NDArrayBacked` (`DatetimeArray`, `StringArray`…): the state `(dtype, ndarray,
        // attributes)`, the ndarray the numpy array in it.
        if self
            .callable(id)
            .is_some_and(|(_, n)| n == b"__pyx_unpickle_NDArrayBacked")
        {
            for &inner in self.seq(state).unwrap_or_default() {
                if let Some(array) = self.ndarray(inner, depth + 1)? {
                    return self.render(&array).map(Some);
                }
            }
            return Ok(None);
        }
        if let Some(arrow) = self.key(state, b"_pa_array")? {
            return Ok(self.arrow(arrow, depth + 1)?.map(|values| vec![values]));
        }
        if let Some(inner) = self.key(state, b"_ndarray")? {
            return self.array(inner, depth + 1);
        }
        // A masked array (`Int64`, `boolean`): its values, blank where masked.
        if let (Some(data), Some(mask)) = (self.key(state, b"_data")?, self.key(state, b"_mask")?) {
            let (Some(mut rows), Some(mask)) =
                (self.array(data, depth + 1)?, self.ndarray(mask, depth + 1)?)
            else {
                return Ok(None);
            };
            let Data::Raw(raw) = &mask.data else {
                return Ok(None);
            };
            for (r, row) in rows.iter_mut().enumerate() {
                for (i, value) in row.iter_mut().enumerate() {
                    let k = mask.index(r.min(mask.rows.saturating_sub(1)), i);
                    if raw.get(k).is_some_and(|&b| b != 0) {
                        value.clear();
                    }
                }
            }
            return Ok(Some(rows));
        }
        Ok(None)
    }

    /// The numpy array `id`: `_reconstruct` and its state `(version, shape, dtype,
    /// is_fortran, data)`, or protocol 5's `_frombuffer(buffer, dtype, shape, order)`.
    fn ndarray(&mut self, id: Id, depth: usize) -> Result<Option<NdArray<'v>>, Fail> {
        let Some((module, name)) = self.callable(id) else {
            return Ok(None);
        };
        if !module.starts_with(b"numpy") {
            return Ok(None);
        }
        let (shape, dtype, fortran, data) = match name {
            b"_reconstruct" => {
                let Some(state) = self.state(id).and_then(|s| self.seq(s)) else {
                    return Ok(None);
                };
                let state = match state.len() {
                    5 => &state[1..],
                    4 => state,
                    _ => return Ok(None),
                };
                let fortran = self.int(state[2]).unwrap_or(0) != 0;
                (state[0], state[1], fortran, state[3])
            }
            b"_frombuffer" => {
                let arg = |k| self.arg(id, k);
                let (Some(data), Some(dtype), Some(shape), Some(order)) =
                    (arg(0), arg(1), arg(2), arg(3))
                else {
                    return Ok(None);
                };
                (shape, dtype, self.str(order) == Some(b"F"), data)
            }
            _ => return Ok(None),
        };
        let Some(dtype) = self.dtype(dtype) else {
            return Ok(None);
        };
        let Some(shape) = self.seq(shape) else {
            return Ok(None);
        };
        let dims: Option<Vec<usize>> = shape
            .iter()
            .map(|&d| self.int(d).and_then(|n| usize::try_from(n).ok()))
            .collect();
        let (rows, len) = match dims.as_deref() {
            Some(&[len]) => (1, len),
            Some(&[rows, len]) => (rows, len),
            _ => return Ok(None),
        };
        let Some(count) = rows.checked_mul(len) else {
            return Ok(None);
        };
        let data = if dtype.kind == b'O' {
            match self.seq(data) {
                Some(items) if items.len() == count => Data::Objects(items),
                _ => return Ok(None),
            }
        } else {
            match self.bytes(data, depth + 1)? {
                Some(raw) if count.checked_mul(dtype.size) == Some(raw.len()) => Data::Raw(raw),
                _ => return Ok(None),
            }
        };
        Ok(Some(NdArray {
            dtype,
            rows,
            len,
            fortran,
            data,
        }))
    }

    /// The numpy dtype `id`: `dtype(code, align, copy)` and its state `(version, byte
    /// order, …, element size, …, metadata)`.
    fn dtype(&self, id: Id) -> Option<Dtype> {
        if self.callable(id)?.1 != b"dtype" {
            return None;
        }
        let code = self.str(self.arg(id, 0)?)?;
        let state = self.seq(self.state(id)?)?;
        let big = self.str(*state.get(1)?)? == b">";
        let (&kind, digits) = code.split_first()?;
        let digits = std::str::from_utf8(digits).ok()?;
        let elsize = state.get(5).and_then(|&e| self.int(e)).unwrap_or(-1);
        let size = if elsize > 0 {
            usize::try_from(elsize).ok()?
        } else {
            digits.parse().ok()?
        };
        let per_second = if kind == b'M' {
            // The metadata: `(dict or None, (unit, count, 1, 1))`.
            let info = *self.seq(*state.get(8)?)?.last()?;
            let unit = self.seq(info)?.first()?;
            let unit = match self.value(*unit) {
                Value::Bytes(span) | Value::Str(span) => &self.vm.bytes[span.clone()],
                _ => return None,
            };
            match unit {
                b"D" => Some(0),
                b"s" => Some(1),
                b"ms" => Some(1_000),
                b"us" => Some(1_000_000),
                b"ns" => Some(1_000_000_000),
                _ => None,
            }
        } else {
            None
        };
        let fits = match kind {
            b'i' | b'u' => matches!(size, 1 | 2 | 4 | 8),
            b'f' => matches!(size, 4 | 8),
            b'b' => size == 1,
            b'M' | b'm' => size == 8,
            b'O' => true,
            b'U' => size % 4 == 0,
            b'S' => true,
            _ => false,
        };
        fits.then_some(Dtype {
            kind,
            size,
            big,
            per_second,
        })
    }

    /// The rows of `array`, each value rendered.
    fn render(&mut self, array: &NdArray<'v>) -> Result<Block, Fail> {
        let mut rows = Vec::with_capacity(array.rows.min(1 << 16));
        for r in 0..array.rows {
            let mut row = Vec::with_capacity(array.len.min(1 << 16));
            for i in 0..array.len {
                let k = array.index(r, i);
                let mut text = Vec::new();
                match &array.data {
                    Data::Raw(raw) => element(&mut text, raw, array.dtype, k),
                    Data::Objects(items) => self.python(&mut text, items[k]),
                }
                self.spend(ELEMENT_COST + text.len())?;
                row.push(text);
            }
            rows.push(row);
        }
        Ok(rows)
    }

    /// Appends the Python object `id` of an object array: strings, numbers and booleans;
    /// anything else (and `None`, `NaN`) as nothing.
    fn python(&self, text: &mut Vec<u8>, id: Id) {
        match self.value(id) {
            Value::Str(span) | Value::Bytes(span) => {
                text.extend_from_slice(&self.vm.bytes[span.clone()])
            }
            Value::Int(n) => {
                let _ = write!(text, "{n}");
            }
            Value::Float(x) if !x.is_nan() => decimal(text, *x),
            Value::Bool(b) => text.extend_from_slice(if *b { b"True" } else { b"False" }),
            _ => {}
        }
    }

    /// The strings of the pyarrow array `id` (`_restore_array`, or a `chunked_array` of
    /// them), nulls empty; `None` when it is not a string array read here.
    fn arrow(&mut self, id: Id, depth: usize) -> Result<Option<Vec<Vec<u8>>>, Fail> {
        if depth > MAX_DEPTH {
            return Ok(None);
        }
        let Some((_, name)) = self.callable(id) else {
            return Ok(None);
        };
        if name == b"chunked_array" {
            let Some(chunks) = self.arg(id, 0).and_then(|c| self.seq(c)) else {
                return Ok(None);
            };
            let mut out = Vec::new();
            for &chunk in chunks {
                match self.arrow(chunk, depth + 1)? {
                    Some(values) => out.extend(values),
                    None => return Ok(None),
                }
            }
            return Ok(Some(out));
        }
        if name != b"_restore_array" {
            return Ok(None);
        }
        let Some(parts) = self.arg(id, 0).and_then(|p| self.seq(p)) else {
            return Ok(None);
        };
        let [typ, length, _nulls, offset, buffers, ..] = *parts else {
            return Ok(None);
        };
        let wide = match self
            .callable(typ)
            .filter(|&(_, n)| n == b"type_for_alias")
            .and_then(|_| self.arg(typ, 0))
            .and_then(|a| self.str(a))
        {
            Some(b"string" | b"utf8" | b"binary") => 4,
            Some(b"large_string" | b"large_utf8" | b"large_binary") => 8,
            _ => return Ok(None),
        };
        let (Some(length), Some(offset)) = (self.int(length), self.int(offset)) else {
            return Ok(None);
        };
        let (Ok(length), Ok(offset)) = (usize::try_from(length), usize::try_from(offset)) else {
            return Ok(None);
        };
        let Some(&[validity, offsets, data]) = self.seq(buffers) else {
            return Ok(None);
        };
        let validity = match self.value(validity) {
            Value::None => None,
            _ => match self.bytes(validity, depth + 1)? {
                Some(v) => Some(v),
                None => return Ok(None),
            },
        };
        let (Some(offsets), Some(data)) = (
            self.bytes(offsets, depth + 1)?,
            self.bytes(data, depth + 1)?,
        ) else {
            return Ok(None);
        };
        let Some(end) = offset.checked_add(length) else {
            return Ok(None);
        };
        if end.checked_add(1).and_then(|n| n.checked_mul(wide)) > Some(offsets.len()) {
            return Ok(None);
        }
        let at = |k: usize| -> Option<usize> {
            let raw = offsets.get(k * wide..(k + 1) * wide)?;
            let n = raw.iter().rev().fold(0u64, |v, &b| (v << 8) | u64::from(b));
            usize::try_from(n).ok()
        };
        let mut out = Vec::with_capacity(length.min(1 << 16));
        for k in offset..end {
            let valid = validity
                .as_ref()
                .is_none_or(|v| v.get(k / 8).is_some_and(|b| b >> (k % 8) & 1 == 1));
            let value = if valid {
                let (Some(from), Some(to)) = (at(k), at(k + 1)) else {
                    return Ok(None);
                };
                match data.get(from..to) {
                    Some(value) => value.to_vec(),
                    None => return Ok(None),
                }
            } else {
                Vec::new()
            };
            self.spend(ELEMENT_COST + value.len())?;
            out.push(value);
        }
        Ok(Some(out))
    }

    /// Every string, printable bytes value and integer made, in order, one a line, pyarrow
    /// string arrays split into their values (their buffers not listed whole).
    fn values(&mut self) -> Result<Vec<u8>, &'static str> {
        self.listed().map_err(|fail| match fail {
            Fail::Budget => OVER_BUDGET,
            _ => DAMAGED,
        })
    }

    fn listed(&mut self) -> Result<Vec<u8>, Fail> {
        let mut arrays = HashMap::new();
        let mut buffers = HashSet::new();
        for &id in &self.vm.order {
            if !matches!(self.value(id), Value::Object(_)) {
                continue;
            }
            if let Some(values) = self.arrow(id, 0)? {
                arrays.insert(id, values);
                // The array's bytes are its values, listed split.
                if let Some(parts) = self.arg(id, 0).and_then(|p| self.seq(p)) {
                    for &buffer in parts.get(4).and_then(|&b| self.seq(b)).unwrap_or_default() {
                        let mut inner = buffer;
                        for _ in 0..MAX_DEPTH {
                            buffers.insert(inner);
                            match self.arg(inner, 0) {
                                Some(next) => inner = next,
                                None => break,
                            }
                        }
                    }
                }
            }
        }
        let mut text = Vec::new();
        for &id in &self.vm.order {
            let before = text.len();
            match self.value(id) {
                Value::Str(span) => listed(&mut text, &self.vm.bytes[span.clone()]),
                Value::Bytes(span) if !buffers.contains(&id) => {
                    let raw = &self.vm.bytes[span.clone()];
                    if printable(raw) {
                        listed(&mut text, raw);
                    }
                }
                Value::Int(n) => {
                    let _ = writeln!(text, "{n}");
                }
                Value::Object(_) => {
                    for value in arrays.get(&id).into_iter().flatten() {
                        listed(&mut text, value);
                    }
                }
                _ => {}
            }
            self.spend(text.len() - before)?;
        }
        Ok(text)
    }
}

/// Appends `value` as a line of its own, line ends and control bytes made spaces.
fn listed(text: &mut Vec<u8>, value: &[u8]) {
    if value.is_empty() {
        return;
    }
    text.extend(value.iter().map(|&b| {
        if b < 0x20 && b != b'\t' || b == 0x7f {
            b' '
        } else {
            b
        }
    }));
    text.push(b'\n');
}

/// Whether `raw` is text: UTF-8 with no control byte but tab and line ends.
fn printable(raw: &[u8]) -> bool {
    !raw.is_empty()
        && std::str::from_utf8(raw).is_ok()
        && raw
            .iter()
            .all(|&b| b >= 0x20 && b != 0x7f || matches!(b, b'\t' | b'\n' | b'\r'))
}

/// The integer element `k` of `raw`, an array of `dtype` (`i`, `u`, `M` or `m`).
fn integer(raw: &[u8], dtype: Dtype, k: usize) -> Option<i128> {
    let bytes = raw.get(k * dtype.size..(k + 1) * dtype.size)?;
    let mut full = [0u8; 16];
    let negative = matches!(dtype.kind, b'i' | b'M' | b'm')
        && if dtype.big {
            bytes[0] & 0x80 != 0
        } else {
            bytes[dtype.size - 1] & 0x80 != 0
        };
    if negative {
        full = [0xff; 16];
    }
    for (j, &b) in bytes.iter().enumerate() {
        let at = if dtype.big { dtype.size - 1 - j } else { j };
        full[at] = b;
    }
    Some(i128::from_le_bytes(full))
}

/// The float element `k` of `raw`, an array of `dtype` (`f4` or `f8`).
fn float(raw: &[u8], dtype: Dtype, k: usize) -> Option<f64> {
    let bytes = raw.get(k * dtype.size..(k + 1) * dtype.size)?;
    Some(match (dtype.size, dtype.big) {
        (4, false) => f64::from(f32::from_le_bytes(bytes.try_into().ok()?)),
        (4, true) => f64::from(f32::from_be_bytes(bytes.try_into().ok()?)),
        (_, false) => f64::from_le_bytes(bytes.try_into().ok()?),
        (_, true) => f64::from_be_bytes(bytes.try_into().ok()?),
    })
}

/// Appends element `k` of `raw`, an array of `dtype`.
fn element(text: &mut Vec<u8>, raw: &[u8], dtype: Dtype, k: usize) {
    match dtype.kind {
        b'i' | b'u' | b'm' => {
            if let Some(n) = integer(raw, dtype, k)
                && !(dtype.kind == b'm' && n == i128::from(i64::MIN))
            {
                let _ = write!(text, "{n}");
            }
        }
        b'f' => {
            if let Some(x) = float(raw, dtype, k)
                && !x.is_nan()
            {
                decimal(text, x);
            }
        }
        b'b' => {
            if let Some(&b) = raw.get(k) {
                text.extend_from_slice(if b != 0 { b"True" } else { b"False" });
            }
        }
        b'M' => {
            let Some(n) = integer(raw, dtype, k) else {
                return;
            };
            // `NaT`.
            if n == i128::from(i64::MIN) {
                return;
            }
            datetime(text, n, dtype.per_second);
        }
        b'S' => {
            if let Some(bytes) = raw.get(k * dtype.size..(k + 1) * dtype.size) {
                let end = bytes.iter().rposition(|&b| b != 0).map_or(0, |e| e + 1);
                text.extend_from_slice(&bytes[..end]);
            }
        }
        b'U' => {
            if let Some(bytes) = raw.get(k * dtype.size..(k + 1) * dtype.size) {
                for unit in bytes.chunks_exact(4) {
                    let raw: [u8; 4] = [unit[0], unit[1], unit[2], unit[3]];
                    let c = if dtype.big {
                        u32::from_be_bytes(raw)
                    } else {
                        u32::from_le_bytes(raw)
                    };
                    if c == 0 {
                        break;
                    }
                    let c = char::from_u32(c).unwrap_or(char::REPLACEMENT_CHARACTER);
                    let mut buf = [0; 4];
                    text.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
            }
        }
        _ => {}
    }
}

/// Appends `datetime64` value `n` (in units `per_second` of a second, 0 for days) as
/// `YYYY-MM-DD HH:MM:SS`, the date alone at midnight; a unit not read, or a date out of the
/// years 1 to 9999, as the number.
fn datetime(text: &mut Vec<u8>, n: i128, per_second: Option<i64>) {
    let seconds = match per_second {
        Some(0) => n.checked_mul(86_400),
        Some(per) => Some(n.div_euclid(i128::from(per))),
        None => None,
    };
    if let Some(seconds) = seconds.and_then(|s| i64::try_from(s).ok())
        && seconds.abs() < 1 << 52
    {
        // Exact as a float: well inside 2^53. Out of range, nothing is appended.
        if timestamp(text, seconds as f64, 0, seconds.rem_euclid(86_400) != 0).is_some() {
            return;
        }
    }
    let _ = write!(text, "{n}");
}

#[cfg(test)]
mod tests;
