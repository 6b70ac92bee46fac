/* The digest of a SQL sample's rows in one call of C (see sampling.py: ``py_sample_digest``).
 *
 * ``sample_digest(texts)``: ``texts`` holds a sample's columns, each a list of its rows' digest
 * texts (str). Row ``n``'s text is its columns' texts joined by U+001F, encoded as UTF-8; the
 * digest is SHA-256 over the rows' SHA-256 digests, sorted, as a hex string. Exactly what
 * ``py_sample_digest`` computes (the reference, and the fallback where this did not build): rows
 * as ``zip`` pairs them (the shortest column's length), a text that is not a str a TypeError, one
 * that cannot be encoded (a lone surrogate) the UnicodeEncodeError ``str.encode`` raises. Tests
 * compare the two on random samples, and a fixed sample with the digest it always had: a
 * dataset's fingerprint is this digest, and a changed fingerprint would reset its age.
 * Each column is copied whole first (a tuple): ``texts`` is read_rows' lists, never an endless or
 * failing iterator, which ``zip`` would stop reading at the shortest column.
 *
 * Optional: setup.py builds it where a C compiler and OpenSSL's headers are found (libcrypto,
 * the library Python's hashlib uses, computes the SHA-256: its low-level calls, which skip the
 * per-call set-up of the EVP interface that hashlib goes through). The Python code is used where
 * it did not build.
 */
#define PY_SSIZE_T_CLEAN
#define OPENSSL_SUPPRESS_DEPRECATED /* SHA256_Init/Update/Final: deprecated in OpenSSL 3, not removed */
#include <Python.h>
#include <openssl/sha.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define DIGEST 32

static uint64_t prefix(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = (v << 8) | p[i];
    return v;
}

/* bytes order (Python's ``list.sort`` of equal-length bytes): the first 8 bytes as a big-endian
 * integer, then the rest */
static int by_bytes(const void *a, const void *b) {
    uint64_t x = prefix(a), y = prefix(b);
    if (x != y) return x < y ? -1 : 1;
    return memcmp((const unsigned char *)a + 8, (const unsigned char *)b + 8, DIGEST - 8);
}

/* ``*buf`` (``*cap`` bytes) grown to hold ``need`` bytes; -1 with a MemoryError set */
static int reserve(unsigned char **buf, Py_ssize_t *cap, Py_ssize_t need) {
    if (need <= *cap) return 0;
    Py_ssize_t grow = need > PY_SSIZE_T_MAX / 2 ? need : need * 2;
    unsigned char *bigger = PyMem_Realloc(*buf, (size_t)grow);
    if (bigger == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    *buf = bigger;
    *cap = grow;
    return 0;
}

static PyObject *sample_digest(PyObject *self, PyObject *args) {
    PyObject *arg;
    if (!PyArg_ParseTuple(args, "O", &arg)) return NULL;
    /* tuple copies, outer and inner: nothing below calls Python code, but the lists are the caller's */
    PyObject *outer = PySequence_Tuple(arg);
    if (outer == NULL) return NULL;
    Py_ssize_t width = PyTuple_GET_SIZE(outer), rows = 0, copied = 0, cap = 0;
    PyObject **cols = PyMem_New(PyObject *, width > 0 ? width : 1);
    unsigned char *digests = NULL, *buf = NULL;
    PyObject *result = NULL;
    if (cols == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (; copied < width; copied++) {
        cols[copied] = PySequence_Tuple(PyTuple_GET_ITEM(outer, copied));
        if (cols[copied] == NULL) goto done;
        Py_ssize_t n = PyTuple_GET_SIZE(cols[copied]);
        if (copied == 0 || n < rows) rows = n; /* zip(*texts): as many rows as the shortest column */
    }
    if (rows > PY_SSIZE_T_MAX / DIGEST) {
        PyErr_NoMemory();
        goto done;
    }
    digests = PyMem_Malloc(rows > 0 ? (size_t)rows * DIGEST : 1);
    if (digests == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t r = 0; r < rows; r++) {
        Py_ssize_t len = 0;
        for (Py_ssize_t c = 0; c < width; c++) { /* every cell a str before any is encoded, as str.join checks */
            PyObject *cell = PyTuple_GET_ITEM(cols[c], r);
            if (!PyUnicode_Check(cell)) {
                PyErr_Format(PyExc_TypeError, "sequence item %zd: expected str instance, %.80s found", c,
                             Py_TYPE(cell)->tp_name);
                goto done;
            }
        }
        for (Py_ssize_t c = 0; c < width; c++) {
            PyObject *cell = PyTuple_GET_ITEM(cols[c], r);
            Py_ssize_t size;
            const char *data;
            PyObject *encoded = NULL;
            if (PyUnicode_IS_ASCII(cell)) { /* the usual text: its own bytes, nothing made */
                data = (const char *)PyUnicode_DATA(cell);
                size = PyUnicode_GET_LENGTH(cell);
            } else { /* a bytes object made and dropped (AsUTF8 would keep a copy inside the str) */
                encoded = PyUnicode_AsUTF8String(cell);
                if (encoded == NULL) goto done;
                data = PyBytes_AS_STRING(encoded);
                size = PyBytes_GET_SIZE(encoded);
            }
            if (size > PY_SSIZE_T_MAX - len - 1 || reserve(&buf, &cap, len + 1 + size) < 0) {
                if (!PyErr_Occurred()) PyErr_NoMemory();
                Py_XDECREF(encoded);
                goto done;
            }
            if (c > 0) buf[len++] = 0x1f;
            memcpy(buf + len, data, (size_t)size);
            len += size;
            Py_XDECREF(encoded);
        }
        SHA256_CTX ctx;
        SHA256_Init(&ctx);
        SHA256_Update(&ctx, buf != NULL ? buf : (const unsigned char *)"", (size_t)len);
        SHA256_Final(digests + DIGEST * r, &ctx);
    }
    qsort(digests, (size_t)rows, DIGEST, by_bytes);
    unsigned char out[DIGEST];
    SHA256_CTX all;
    SHA256_Init(&all);
    SHA256_Update(&all, digests, (size_t)rows * DIGEST);
    SHA256_Final(out, &all);
    static const char hexdigits[] = "0123456789abcdef";
    char hex[2 * DIGEST];
    for (int i = 0; i < DIGEST; i++) {
        hex[2 * i] = hexdigits[out[i] >> 4];
        hex[2 * i + 1] = hexdigits[out[i] & 15];
    }
    result = PyUnicode_FromStringAndSize(hex, 2 * DIGEST);
done:
    for (Py_ssize_t i = 0; i < copied; i++) Py_XDECREF(cols[i]);
    PyMem_Free(cols);
    PyMem_Free(digests);
    PyMem_Free(buf);
    Py_DECREF(outer);
    return result;
}

static PyMethodDef methods[] = {
    {"sample_digest", sample_digest, METH_VARARGS,
     "sample_digest(texts) -> the hex SHA-256 of the sorted SHA-256 digests of the rows of texts (columns of "
     "str), each row its texts joined by U+001F in UTF-8: sampling.py_sample_digest"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_digest", "A SQL sample's digest, in C.", -1, methods};

PyMODINIT_FUNC PyInit__digest(void) { return PyModule_Create(&module); }
