"""Every message an upload can be refused with, in one table, and the error that carries it.

Each message has a stable snake_case ``code`` and an English ``template`` with
``{placeholders}``. The UI translates it from its catalogue key ``load.<code>`` with the
same params, so a raise site names a code and its params and never writes a template.

>>> err = load_error("npz_empty")
>>> err.code, isinstance(err, ValueError)
('npz_empty', True)
>>> print(err)
This .npz file contains no arrays. Save at least one array with numpy.savez(...).
"""

from __future__ import annotations

from types import MappingProxyType
from typing import NamedTuple

from .._validate import CodedError

__all__ = ["MESSAGES", "LoadText", "TensorLoadError", "load_error", "load_text"]

_RESAVE = "Save it again with numpy.save(...) or safetensors and upload that file."
# A token below the header that numpy cannot read; text_decimal_comma adds a hint.
_NOT_A_NUMBER = ("Line {line}: column {column} holds '{token}', which is not a number. Below "
                 "the header only numbers (and nan, inf, -inf) are allowed.")
_SAVE_NPZ = "Save the arrays again with numpy.savez(...)."

#: code -> English template of every message and label that ``load_tensors`` can show.
MESSAGES: MappingProxyType[str, str] = MappingProxyType({
    # Labels: the part of a message that names the array, translated on its own.
    "label_npy": "This .npy file",
    "label_npz_array": "The array '{name}' in this .npz file",
    "label_tensor": "The tensor '{name}'",
    "label_text": "This text file",
    # The file as a whole.
    "pickle_file": "'{name}' is a {extension} file. Files like this are Python pickles, and "
                   "opening a pickle can run arbitrary code on the server, so the lab never "
                   "opens them. Save your tensors with safetensors.torch.save_file(...) or "
                   "numpy.save(...) and upload that file instead ({accepted}).",
    "no_extension": "The file name '{name}' has no extension, so the lab cannot tell its "
                    "format. Accepted: {accepted}.",
    "unsupported_extension": "Files ending in '{extension}' are not supported. Accepted: "
                             "{accepted}.",
    "empty_file": "The file is empty (0 bytes). Upload a file that contains your tensor.",
    "file_too_large": "The file is {size}, more than the lab's limit of {limit}. Upload a "
                      "smaller slice of the tensor.",
    # One array, whatever the format.
    "too_many_dims": "{label} has {ndim} dimensions, more than the lab's limit of {limit}. "
                     "Reshape it to fewer dimensions.",
    "impossible_shape": "{label} has an impossible shape {shape}; the file may be damaged. "
                        + _RESAVE,
    "zero_dim": "{label} is a single number with no shape (a 0-d array), so there is nothing "
                "to quantize along. Save it as a 1-D array with at least one element, e.g. "
                "numpy.atleast_1d(x).",
    "no_values": "{label} has no values (shape {shape}). Upload a tensor with at least one "
                 "value.",
    "too_many_values": "{label} has {count} values (shape {shape}), more than the lab's limit "
                       "of {limit} per tensor. Upload a smaller slice of it.",
    "not_real_numbers": "{label} has the data type {dtype}, which is not a tensor of real "
                        "numbers. Use a float or integer type.",
    "beyond_float32": "{label} holds finite values as large as {largest} in magnitude, beyond "
                      "the range of float32 (±{limit}), the precision the lab works in. "
                      "Rescale the tensor first, e.g. divide it by a power of ten, and upload "
                      "it again.",
    # .npy
    "npy_object": "{label} holds Python objects (dtype object). Reading them needs pickle, "
                  "which can run arbitrary code on the server, so the lab never does. Save a "
                  "numeric array instead, e.g. numpy.save('x.npy', x.astype('float32')).",
    "npy_structured": "{label} is a structured or raw-bytes array, not a plain tensor of "
                      "numbers. Save each field as its own array; for bfloat16 data, convert "
                      "to float32 first or use safetensors.",
    "npy_bool": "{label} holds True/False values, not numbers to quantize. Convert it first "
                "with x.astype('float32').",
    "npy_complex": "{label} holds complex numbers; the lab quantizes real numbers only. Save "
                   "x.real or abs(x) instead.",
    "npy_bytes": "{label} holds text (bytes strings), not numbers.",
    "npy_text": "{label} holds text (strings), not numbers.",
    "npy_dates": "{label} holds dates, not numbers.",
    "npy_time_spans": "{label} holds time spans, not numbers.",
    "npy_extended_float": "{label} holds extended-precision floats ({dtype}), which are not "
                          "portable. Convert it to float64 first.",
    "npy_unknown_dtype": "{label} has the data type {dtype}, which the lab cannot read.",
    "npy_no_signature": "{label} is not a NumPy .npy file: it does not start with the .npy "
                        "signature. " + _RESAVE,
    "npy_damaged_header": "{label} has a damaged header, so it cannot be read. " + _RESAVE,
    "npy_unknown_version": "{label} uses .npy format version {version}, which this lab does "
                           "not know. " + _RESAVE,
    "npy_truncated": "{label} is truncated: its header promises {count} values ({want} bytes) "
                     "but only {have} bytes of data follow. Upload the complete file.",
    "npy_extra_bytes": "{label} has {extra} unexpected bytes after its data, so it may be "
                       "damaged. " + _RESAVE,
    # .npz
    "npz_not_zip": "This .npz file is not a valid zip archive (an .npz is a zip of .npy "
                   "files), so it cannot be read. Save it again with numpy.savez(...) or "
                   "numpy.savez_compressed(...).",
    "npz_empty": "This .npz file contains no arrays. Save at least one array with "
                 "numpy.savez(...).",
    "npz_too_many_entries": "This .npz file holds {count} entries, more than the lab's limit "
                            "of {limit}. Upload fewer arrays.",
    "npz_too_large": "This .npz file would unpack to {size}, more than the lab's limit of "
                     "{limit}, so it was not opened. Upload fewer or smaller arrays.",
    "npz_not_npy": "This .npz file holds '{name}', which is not a .npy array. An .npz must "
                   "contain only .npy files, as numpy.savez(...) writes them.",
    "npz_duplicate_name": "This .npz file holds two arrays named '{name}'. Save it again with "
                          "numpy.savez(...).",
    "npz_compression": "The entry '{name}' in this .npz file is compressed with a method the "
                       "lab does not unpack (only stored and deflated entries, as "
                       "numpy.savez(...) and numpy.savez_compressed(...) write them). "
                       + _SAVE_NPZ,
    "npz_damaged_entry": "The entry '{name}' in this .npz file is damaged or encrypted and "
                         "cannot be unpacked. " + _SAVE_NPZ,
    "npz_entry_size_mismatch": "The entry '{name}' in this .npz file unpacks to more data "
                               "than the {declared} bytes its header declares. The header "
                               "lies about the size, as in a zip bomb, so the file was "
                               "refused. " + _SAVE_NPZ,
    "npz_entry_too_large": "The entry '{name}' in this .npz file unpacks to more data than "
                           "its header says, past the lab's limit of {limit}, so the file "
                           "was refused.",
    # .csv and .txt
    "text_not_utf8": "Line {line} of this file is not valid UTF-8 text. Save the file as UTF-8 "
                     "plain text (\"CSV UTF-8\" in spreadsheet programs), or upload a .npy "
                     "file.",
    "text_nul_bytes": "This file contains NUL bytes, so it is not plain text (it may be binary "
                      "or UTF-16). Save the numbers as a UTF-8 CSV file, or upload a .npy "
                      "file.",
    "text_no_numbers": "This file contains no numbers (only blank or '#' comment lines). Put "
                       "one row of numbers on each line.",
    "text_header_only": "This file has a header line but no rows of numbers below it.",
    "text_row_length": "Line {line}: has {count} values but the first row of numbers has "
                       "{expected}. Every row needs the same number of values.",
    "text_empty_field": "Line {line}: column {column} is empty. Every row needs a number in "
                        "every column.",
    "text_decimal_comma": _NOT_A_NUMBER + " Use a dot as the decimal mark.",
    "text_not_a_number": _NOT_A_NUMBER,
    "text_unreadable": "The numbers in this file could not be read. Check that every row "
                       "holds only numbers separated by commas, semicolons, tabs or spaces.",
    "text_too_many_values": "This file has more than {limit} numbers, the lab's limit per "
                            "tensor. Upload a smaller slice of it.",
    # .safetensors
    "safetensors_too_short": "This file is only {size} bytes long, too short to be a "
                             "safetensors file. Save it with safetensors.torch.save_file(...).",
    "safetensors_header_size": "This safetensors file declares a header of {length} bytes, "
                               "which is impossible (it must be {low} to {high} bytes). The "
                               "file is damaged or not a safetensors file.",
    "safetensors_header_truncated": "This safetensors header is inconsistent with the file "
                                    "size: it says the header is {length} bytes long, but "
                                    "only {available} bytes follow. The file is truncated or "
                                    "damaged.",
    "safetensors_header_not_json": "The header of this safetensors file is not a valid JSON "
                                   "object, so the file cannot be read. Save it again with "
                                   "safetensors.torch.save_file(...).",
    "safetensors_duplicate_name": "The safetensors header lists '{name}' twice; a valid file "
                                  "names each entry once.",
    "safetensors_metadata": "The __metadata__ of this safetensors file must map text to "
                            "text. " + _RESAVE,
    "safetensors_empty": "This safetensors file contains no tensors.",
    "safetensors_too_many": "This safetensors file holds {count} tensors, more than the lab's "
                            "limit of {limit}.",
    "safetensors_entry_keys": "{label} in the safetensors header must have exactly the keys "
                              "dtype, shape and data_offsets. " + _RESAVE,
    "safetensors_dtype": "{label} has the data type '{dtype}', which the lab does not read. "
                         "Supported: {supported}.",
    "safetensors_shape": "{label} has an invalid shape in the safetensors header; it must be "
                         "a list of whole numbers. " + _RESAVE,
    "safetensors_offsets": "{label} has invalid data_offsets in the safetensors header; they "
                           "must be [begin, end] with 0 <= begin <= end. " + _RESAVE,
    "safetensors_offsets_past_end": "{label} says its data runs to byte {end}, but the data "
                                    "section is only {size} bytes long: the header is "
                                    "inconsistent with the file size. The file is truncated "
                                    "or damaged.",
    "safetensors_size_mismatch": "{label} has shape {shape} of {dtype} ({expected} bytes), "
                                 "but its data_offsets cover {actual} bytes. The header is "
                                 "inconsistent. " + _RESAVE,
    "safetensors_overlap": "The tensors '{first}' and '{second}' overlap in this safetensors "
                           "file (their data_offsets share bytes), which a valid file never "
                           "does. " + _RESAVE,
})


class LoadText(NamedTuple):
    """An English text with a stable ``code``, so that a UI can show it translated.

    ``template`` has ``{placeholders}``; ``params`` holds their values as display strings,
    or as a LoadText for a part that is translated on its own (the array a message is about).

    >>> label = LoadText("label_npz_array", "The array '{name}' in this .npz file", {"name": "w"})
    >>> str(label)
    "The array 'w' in this .npz file"
    """

    code: str
    template: str
    params: dict

    def __str__(self) -> str:
        return self.template.format_map(self.params)


class TensorLoadError(CodedError, ValueError):
    """An uploaded file the lab will not read; the message is shown to the student.

    ``str(err)`` is the message in English. ``err.code`` names the message stably
    (snake_case, a key of ``MESSAGES``) and ``err.params`` holds the values of the
    ``{placeholders}`` of ``err.template``, the English text: display strings (numbers
    already formatted, as in "12,345" or "50.0 MB"), and for ``label`` a LoadText naming
    the array. A UI can look the code up in its own catalogue and fill in the same params.
    Params the template does not name are left out, so that one call can raise any message
    of a family (the .npy dtype refusals share one).

    >>> from quantlib.tensors import load_tensors
    >>> try:
    ...     load_tensors(b"1,2\\n3,x\\n", "t.csv")
    ... except TensorLoadError as err:
    ...     print(err.code, err.params)
    ...     print(err)
    text_not_a_number {'line': '2', 'column': '2', 'token': 'x'}
    Line 2: column 2 holds 'x', which is not a number. Below the header only numbers
    (and nan, inf, -inf) are allowed.
    """


def load_error(code: str, /, **params: str | LoadText) -> TensorLoadError:
    """The TensorLoadError for ``code``, its template taken from ``MESSAGES``.

    >>> print(load_error("text_row_length", line="4", count="2", expected="3"))
    Line 4: has 2 values but the first row of numbers has 3. Every row needs the same number
    of values.
    """
    return TensorLoadError(code, MESSAGES[code], **params)


def load_text(code: str, /, **params: str) -> LoadText:
    """The LoadText for ``code`` (a label, say), its template taken from ``MESSAGES``.

    >>> str(load_text("label_tensor", name="w"))
    "The tensor 'w'"
    """
    return LoadText(code, MESSAGES[code], params)


# Long enough for a real name, short enough to keep a message on a line or two.
_SHOW_CHARS = 30
# Megabytes as Streamlit's uploader counts them, so that our limits read as its own do.
_MB = 10**6


def show(text: str, limit: int = _SHOW_CHARS) -> str:
    """``text`` made safe to quote in a message: printable and at most ``limit`` chars.

    >>> show("a\\nb"), show("x" * 40, 8)
    ('a\\\\nb', 'xxxxxxx…')
    """
    if not text.isprintable():
        text = repr(text)[1:-1]
    return text if len(text) <= limit else text[: limit - 1] + "…"


def megabytes(nbytes: int) -> str:
    """A byte count in decimal megabytes, for messages.

    >>> megabytes(50 * 10**6), megabytes(2**20)
    ('50.0 MB', '1.0 MB')
    """
    return f"{nbytes / _MB:.1f} MB"


def scientific(value: float, digits: int = 3) -> str:
    """A large magnitude, short: ``digits`` significant digits and a bare exponent.

    >>> scientific(1e300), scientific(3.4028234663852886e38, 2), scientific(12.5)
    ('1e300', '3.4e38', '12.5')
    """
    return f"{value:.{digits}g}".replace("e+", "e")
