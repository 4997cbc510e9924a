#!/usr/bin/env python3
"""Writes `src/model/generated.rs` from the model slice `model/sagemaker-image-family.json`.

For every operation of the family it emits the input and output shapes as Rust types, a Rust enum for each
closed set of strings (the model's enumerations, and patterns that are only an alternation of words), the
`OperationName` read from `X-Amz-Target` and the `Operation` read from the body. Reading an input checks the
model's constraints while it types the value, in the order and the words of AWS (see `src/model/reader.rs`).

Run it after `tools/extract_model.py` has changed the slice. `--check` writes nothing and exits non-zero when
the committed file is not what the slice gives (the test command runs it).
"""
import json
import os
import re
import subprocess
import sys
import textwrap

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
MODEL = os.path.join(ROOT, "model", "sagemaker-image-family.json")
OUT = os.path.join(ROOT, "src", "model", "generated.rs")

# A pattern that admits exactly a few words, such as `(^DisplayName$)|(^Description$)`.
WORD_SET = re.compile(r"^\(\^(\w+)\$\)(\|\(\^\w+\$\))*$")
# The width doc comments are wrapped to (rustfmt leaves comments as they are).
DOC_WIDTH = 110
RUST_KEYWORDS = {"type", "match", "ref", "self", "use", "mod", "fn", "impl", "where", "in", "as"}


def snake(name):
    """`MLFramework` → `ml_framework`, `ImageName` → `image_name`."""
    out = []
    for i, c in enumerate(name):
        if c.isupper() and i > 0:
            previous, following = name[i - 1], name[i + 1] if i + 1 < len(name) else ""
            if previous.islower() or previous.isdigit() or (following and following.islower()):
                out.append("_")
        out.append(c.lower())
    ident = "".join(out)
    return f"r#{ident}" if ident in RUST_KEYWORDS else ident


def constant(name):
    return snake(name).upper()


def variant(value):
    """`CREATION_TIME` → `CreationTime`, `CPU` → `Cpu`, `Ascending` stays."""
    if "_" in value or value.isupper():
        return "".join(part[:1].upper() + part[1:].lower() for part in value.split("_"))
    return value[:1].upper() + value[1:]


def camel_path(member):
    """How AWS names a member in a validation message: its first letter in lower case."""
    return member[:1].lower() + member[1:]


def rust_string(text):
    return json.dumps(text, ensure_ascii=False)


def display_pattern(pattern):
    """The pattern as AWS quotes it: anchored, unless the model anchors it already."""
    return pattern if "^" in pattern else f"^{pattern}$"


def option(value):
    return "None" if value is None else f"Some({value})"


class Generator:
    def __init__(self, model):
        self.operations = model["operations"]
        self.shapes = model["shapes"]
        self.inputs = self.reachable(op["input"] for op in self.operations.values())
        self.outputs = self.reachable(op["output"] for op in self.operations.values() if op.get("output"))
        self.lines = []

    def reachable(self, roots):
        seen = set()

        def walk(name):
            if name in seen:
                return
            seen.add(name)
            shape = self.shapes[name]
            for member in shape.get("members", {}).values():
                walk(member["shape"])
            for part in ("member", "key", "value"):
                if part in shape:
                    walk(shape[part]["shape"])

        for root in roots:
            walk(root)
        return seen

    def words(self, name):
        """The closed set of strings of a string shape, if it has one."""
        shape = self.shapes[name]
        if shape["type"] != "string":
            return None
        if "enum" in shape:
            return shape["enum"]
        pattern = shape.get("pattern")
        if pattern and WORD_SET.match(pattern):
            return re.findall(r"\(\^(\w+)\$\)", pattern)
        return None

    def rust_type(self, name, direction):
        shape = self.shapes[name]
        kind = shape["type"]
        if kind == "structure":
            return name
        if kind == "list":
            return f"Vec<{self.rust_type(shape['member']['shape'], direction)}>"
        if kind == "map":
            return f"BTreeMap<String, {self.rust_type(shape['value']['shape'], direction)}>"
        if kind == "string":
            return name if self.words(name) else "String"
        if kind == "integer":
            return "i32"
        if kind == "long":
            return "i64"
        if kind == "boolean":
            return "bool"
        if kind == "timestamp":
            return "f64" if direction == "input" else "Timestamp"
        raise SystemExit(f"shape {name}: type {kind} is not supported")

    def emit(self, text=""):
        self.lines.append(text)

    def doc(self, text, indent=""):
        """The model's documentation (plain text, see tools/extract_model.py) as doc comment lines."""
        if not text:
            return
        for number, paragraph in enumerate(text.split("\n\n")):
            if number:
                self.emit(f"{indent}///")
            for line in paragraph.split("\n"):
                wrapped = textwrap.wrap(line, DOC_WIDTH - len(indent) - 4, break_on_hyphens=False,
                                        subsequent_indent="  " if line.startswith("- ") else "")
                for piece in wrapped:
                    self.emit(f"{indent}/// {piece}")

    def generate(self):
        self.emit("// @generated by tools/generate_model.py from model/sagemaker-image-family.json: do not edit.")
        self.emit("// Run `python3 tools/generate_model.py` after the model slice changes.")
        self.emit()
        self.emit("use std::collections::BTreeMap;")
        self.emit()
        self.emit("use serde::Serialize;")
        self.emit("use serde_json::Value;")
        self.emit()
        self.emit("use super::reader::{")
        self.emit("    IntegerRule, Path, Pattern, Presence, Read, Reader, RequestError, StringRule,")
        self.emit("};")
        self.emit("use super::Timestamp;")
        self.emit()
        self.operation_enums()
        for name in sorted(self.shapes):
            if self.words(name) and (name in self.inputs or name in self.outputs):
                self.word_enum(name)
        for name in sorted(self.shapes):
            if name in self.inputs or name in self.outputs:
                self.rules(name)
        for name in sorted(self.shapes):
            shape = self.shapes[name]
            if shape.get("exception") or shape["type"] != "structure":
                continue
            if name in self.inputs or name in self.outputs:
                self.structure(name)
        for name in sorted(self.shapes):
            shape = self.shapes[name]
            if name in self.inputs and shape["type"] in ("list", "map"):
                self.collection_reader(name)
        while self.lines and self.lines[-1] == "":
            self.lines.pop()
        return "\n".join(self.lines) + "\n"

    def operation_enums(self):
        names = sorted(self.operations)
        self.emit("/// The operations of the family, as `X-Amz-Target` names them after `SageMaker.`.")
        self.emit("#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]")
        self.emit("pub enum OperationName {")
        for name in names:
            self.doc(self.operations[name].get("documentation"), "    ")
            self.emit(f"    {name},")
        self.emit("}")
        self.emit()
        self.emit("impl OperationName {")
        self.emit(f"    pub const ALL: [OperationName; {len(names)}] = [")
        for name in names:
            self.emit(f"        OperationName::{name},")
        self.emit("    ];")
        self.emit()
        self.emit("    /// The operation named `name`, if it is one of the model's.")
        self.emit("    pub fn from_name(name: &str) -> Option<OperationName> {")
        self.emit("        Some(match name {")
        for name in names:
            self.emit(f"            {rust_string(name)} => OperationName::{name},")
        self.emit("            _ => return None,")
        self.emit("        })")
        self.emit("    }")
        self.emit()
        self.emit("    pub const fn as_str(self) -> &'static str {")
        self.emit("        match self {")
        for name in names:
            self.emit(f"            OperationName::{name} => {rust_string(name)},")
        self.emit("        }")
        self.emit("    }")
        self.emit("}")
        self.emit()
        self.emit("/// A request: its operation and its input, read and checked against the model.")
        self.emit("#[derive(Debug)]")
        self.emit("pub enum Operation {")
        for name in names:
            self.emit(f"    {name}({self.operations[name]['input']}),")
        self.emit("}")
        self.emit()
        self.emit("impl Operation {")
        self.emit("    /// Reads `body` as the input of `name`: every wrong JSON type is refused first")
        self.emit("    /// (`RequestError::WrongType`, the first one met), then every broken constraint at once.")
        self.emit("    pub fn read(name: OperationName, body: &Value) -> Result<Operation, RequestError> {")
        self.emit("        let mut reader = Reader::default();")
        self.emit("        let root = Path::Root;")
        self.emit("        let operation = match name {")
        for name in names:
            self.emit(f"            OperationName::{name} => {{")
            self.emit(f"                {self.operations[name]['input']}::read(body, &root, &mut reader)?.map(Operation::{name})")
            self.emit("            }")
        self.emit("        };")
        self.emit("        reader.finish(operation)")
        self.emit("    }")
        self.emit("}")
        self.emit()

    def word_enum(self, name):
        words = self.words(name)
        self.emit(f"/// The model's `{name}`.")
        self.emit("#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]")
        self.emit(f"pub enum {name} {{")
        for word in words:
            self.emit(f"    {variant(word)},")
        self.emit("}")
        self.emit()
        self.emit(f"impl {name} {{")
        self.emit(f"    pub const ALL: [{name}; {len(words)}] = [")
        for word in words:
            self.emit(f"        {name}::{variant(word)},")
        self.emit("    ];")
        self.emit()
        self.emit("    pub fn from_wire(text: &str) -> Option<Self> {")
        self.emit("        Some(match text {")
        for word in words:
            self.emit(f"            {rust_string(word)} => {name}::{variant(word)},")
        self.emit("            _ => return None,")
        self.emit("        })")
        self.emit("    }")
        self.emit()
        self.emit("    pub const fn as_str(self) -> &'static str {")
        self.emit("        match self {")
        for word in words:
            self.emit(f"            {name}::{variant(word)} => {rust_string(word)},")
        self.emit("        }")
        self.emit("    }")
        self.emit("}")
        self.emit()
        self.emit(f"impl Serialize for {name} {{")
        self.emit("    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {")
        self.emit("        serializer.serialize_str(self.as_str())")
        self.emit("    }")
        self.emit("}")
        self.emit()

    def rules(self, name):
        """The constraints of a string or number shape that an input carries, as a constant."""
        if name not in self.inputs:
            return
        shape = self.shapes[name]
        kind = shape["type"]
        if kind == "string":
            pattern = shape.get("pattern")
            if pattern:
                self.emit(f"static {constant(name)}_PATTERN: Pattern = Pattern::new(")
                self.emit(f"    {rust_string(pattern)},")
                self.emit(f"    {rust_string(display_pattern(pattern))},")
                self.emit(");")
            enum = shape.get("enum")
            self.emit(f"static {constant(name)}: StringRule = StringRule {{")
            self.emit(f"    min: {option(shape.get('min'))},")
            self.emit(f"    max: {option(shape.get('max'))},")
            self.emit(f"    pattern: {option('&' + constant(name) + '_PATTERN') if pattern else 'None'},")
            if enum:
                self.emit(f"    one_of: Some(&[{', '.join(rust_string(v) for v in enum)}]),")
            else:
                self.emit("    one_of: None,")
            self.emit("};")
            self.emit()
        elif kind in ("integer", "long"):
            self.emit(f"static {constant(name)}: IntegerRule = IntegerRule {{")
            self.emit(f"    min: {option(shape.get('min'))},")
            self.emit(f"    max: {option(shape.get('max'))},")
            self.emit("};")
            self.emit()

    def structure(self, name):
        shape = self.shapes[name]
        members = sorted(shape.get("members", {}).items())
        required = set(shape.get("required", []))
        is_input = name in self.inputs
        if is_input and name in self.outputs and any(
            self.shapes[m["shape"]]["type"] == "timestamp" for _, m in members
        ):
            raise SystemExit(f"shape {name}: a timestamp in both an input and an output")
        direction = "input" if is_input else "output"
        self.emit(f"/// The model's `{name}`; members sorted by name, the order their broken constraints are listed in.")
        self.doc(shape.get("documentation"))
        self.emit("#[derive(Debug, Clone, PartialEq, Serialize)]")
        self.emit(f"pub struct {name} {{")
        for member, ref in members:
            rust = self.rust_type(ref["shape"], direction)
            self.doc(ref.get("documentation"), "    ")
            self.emit(f"    #[serde(rename = {rust_string(member)}" + (
                ")]" if member in required else ', skip_serializing_if = "Option::is_none")]'))
            self.emit(f"    pub {snake(member)}: {rust if member in required else f'Option<{rust}>'},")
        self.emit("}")
        self.emit()
        if not is_input:
            return
        self.emit(f"impl Read for {name} {{")
        self.emit("    fn read(")
        self.emit("        value: &Value,")
        self.emit("        path: &Path<'_>,")
        self.emit("        reader: &mut Reader,")
        self.emit("    ) -> Result<Option<Self>, RequestError> {")
        variable = "object" if members else "_object"
        self.emit(f"        let {variable} = reader.structure(value, path)?;")
        if members:
            self.emit("        let mut complete = true;")
        for member, ref in members:
            presence = "Presence::Required" if member in required else "Presence::Optional"
            read = self.member_reader(ref["shape"])
            self.emit(f"        let {snake(member)} = reader.read_member(")
            self.emit(f"            (object, {rust_string(member)}),")
            self.emit(f"            &Path::Member(path, {rust_string(camel_path(member))}),")
            self.emit(f"            {presence},")
            self.emit("            &mut complete,")
            self.emit(f"            |reader, value, path| {read},")
            self.emit("        )?;")
        needed = [snake(member) for member, _ in members if member in required]
        if needed:
            fields = ", ".join(f"Some({field})" for field in needed)
            values = ", ".join(needed)
            self.emit(f"        let (true, {fields}) = (complete, {values}) else {{")
            self.emit("            return Ok(None);")
            self.emit("        };")
        elif members:
            self.emit("        if !complete {")
            self.emit("            return Ok(None);")
            self.emit("        }")
        self.emit("        Ok(Some(Self {")
        for member, _ in members:
            self.emit(f"            {snake(member)},")
        self.emit("        }))")
        self.emit("    }")
        self.emit("}")
        self.emit()

    def member_reader(self, name):
        """The body of a closure `|reader, value, path|` that reads a member of shape `name`."""
        kind = self.shapes[name]["type"]
        if kind == "structure":
            return f"{name}::read(value, path, reader)"
        if kind in ("list", "map"):
            return f"read_{snake(name)}(value, path, reader)"
        return f"Ok({self.read_expression(name, 'value', 'path')})"

    def read_expression(self, name, value, path):
        """An expression of type `Option<T>` (after `?`) reading `value` as shape `name`."""
        shape = self.shapes[name]
        kind = shape["type"]
        if kind == "structure":
            return f"{name}::read({value}, {path}, reader)?"
        if kind in ("list", "map"):
            return f"read_{snake(name)}({value}, {path}, reader)?"
        if kind == "string":
            text = f"reader.string({value}, {path}, &{constant(name)})?"
            if self.words(name):
                return f"{text}.and_then({name}::from_wire)"
            return f"{text}.map(str::to_owned)"
        if kind == "integer":
            return f"Some(reader.integer({value}, {path}, &{constant(name)})?)"
        if kind == "long":
            return f"Some(reader.long({value}, {path}, &{constant(name)})?)"
        if kind == "boolean":
            return f"Some(reader.boolean({value}, {path})?)"
        if kind == "timestamp":
            return f"Some(reader.timestamp({value}, {path})?)"
        raise SystemExit(f"shape {name}: type {kind} is not supported")

    def collection_reader(self, name):
        shape = self.shapes[name]
        rust = self.rust_type(name, "input")
        length = f"{option(shape.get('min'))}, {option(shape.get('max'))}"
        self.emit(f"/// Reads the model's `{name}`: each entry, then the count.")
        self.emit(f"fn read_{snake(name)}(")
        self.emit("    value: &Value,")
        self.emit("    path: &Path<'_>,")
        self.emit("    reader: &mut Reader,")
        self.emit(f") -> Result<Option<{rust}>, RequestError> {{")
        if shape["type"] == "list":
            self.emit("    let items = reader.list(value, path)?;")
            self.emit("    let mut read = Some(Vec::with_capacity(items.len()));")
            self.emit("    for (index, item) in items.iter().enumerate() {")
            self.emit("        let path = Path::Item(path, index + 1);")
            self.emit("        reader.not_null(item, &path)?;")
            self.emit(f"        match ({self.read_expression(shape['member']['shape'], 'item', '&path')}, &mut read) {{")
            self.emit("            (Some(item), Some(read)) => read.push(item),")
            self.emit("            _ => read = None,")
            self.emit("        }")
            self.emit("    }")
            self.emit(f"    reader.length(value, path, items.len(), {length});")
        else:
            key = self.shapes[shape["key"]["shape"]]
            if key["type"] != "string" or self.words(shape["key"]["shape"]):
                raise SystemExit(f"shape {name}: only maps with free string keys are supported")
            self.emit("    let entries = reader.map(value, path)?;")
            self.emit("    let mut read = Some(BTreeMap::new());")
            self.emit("    for (key, entry) in entries {")
            self.emit(f"        reader.key(key, &Path::Key(path, key), &{constant(shape['key']['shape'])});")
            self.emit(f"        match ({self.read_expression(shape['value']['shape'], 'entry', '&Path::Value(path, key)')}, &mut read) {{")
            self.emit("            (Some(entry), Some(read)) => {")
            self.emit("                read.insert(key.clone(), entry);")
            self.emit("            }")
            self.emit("            _ => read = None,")
            self.emit("        }")
            self.emit("    }")
            self.emit(f"    reader.length(value, path, entries.len(), {length});")
        self.emit("    Ok(read)")
        self.emit("}")
        self.emit()


def main():
    with open(MODEL) as f:
        model = json.load(f)
    # Formatted as `cargo fmt` would format it, so that the committed file stays as generated.
    text = subprocess.run(
        ["rustfmt", "--edition", "2021", "--emit", "stdout", "--quiet"],
        input=Generator(model).generate(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if "--check" in sys.argv[1:]:
        try:
            with open(OUT) as f:
                current = f.read()
        except FileNotFoundError:
            current = ""
        if current != text:
            print(f"{os.path.relpath(OUT, ROOT)} is stale: run python3 tools/generate_model.py", file=sys.stderr)
            return 1
        print(f"{os.path.relpath(OUT, ROOT)} matches the model slice")
        return 0
    with open(OUT, "w") as f:
        f.write(text)
    print(f"wrote {os.path.relpath(OUT, ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
