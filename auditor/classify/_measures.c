/* The block measures of a free-text chunk in one pass of C (see blocks.py: ``measures``).
 *
 * ``measures(chunk, blocks)`` returns, for each ``(start, end)`` of ``blocks``, the tuple
 * ``blocks._measure(chunk[start:end])`` returns: bytes, digits, "@", line ends, capitals, a digit
 * then a capital once the bytes no measure counts are left out, then "=", "_", ":", "-", "#", ".".
 * The pure-Python ``blocks.measures`` is the reference (and the fallback where this did not
 * build); tests compare the two on every byte value and on the benchmarks' corpora.
 *
 * Optional: setup.py builds it where a C compiler is found, and ``blocks`` falls back to the
 * Python code where it is not. It reads the chunk only (the buffer protocol, released at the end).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <errno.h>
#include <math.h>
#include <string.h>

/* Rules every function below keeps (each broke one, and a crash here ends the whole audit run):
 * - a sequence of Python objects the loop reads while it calls Python code (``__index__``,
 *   ``__float__``, ``__getitem__`` of the items) is read from a tuple copy (``PySequence_Tuple``):
 *   that code may empty the list passed, and a borrowed item of it would then be freed;
 * - a buffer's size is counted with ``cells`` (a MemoryError where it would overflow): a length
 *   is whatever ``__len__`` says, up to ``sys.maxsize``;
 * - a conversion's error is checked at once: no Python code is called while one is pending;
 * - integer sums and products are checked (``__builtin_*_overflow``): an OverflowError, never a
 *   wrapped figure (Python's would be exact). */

/* ``a * b + c`` items, each of them >= 0, or -1 where that is negative or overflows a Py_ssize_t
 * (``PyMem_New`` of -1 is NULL: the caller's MemoryError). */
static Py_ssize_t cells(Py_ssize_t a, Py_ssize_t b, Py_ssize_t c) {
    if (a < 0 || b < 0 || c < 0 || (b > 0 && a > (PY_SSIZE_T_MAX - c) / b)) return -1;
    return a * b + c;
}

#define N_MEASURES 12
#define SKIP 12 /* the slot of a byte no measure counts */

enum { M_BYTES, M_DIGITS, M_AT, M_LINES, M_CAPS, M_DIGIT_CAP, M_EQ, M_US, M_COLON, M_DASH, M_HASH, M_DOT };

static unsigned char slot[256];

static void init_slots(void) {
    for (int b = 0; b < 256; b++) slot[b] = SKIP;
    for (int b = '0'; b <= '9'; b++) slot[b] = M_DIGITS;
    for (int b = 'A'; b <= 'Z'; b++) slot[b] = M_CAPS;
    slot['@'] = M_AT;
    slot['\n'] = M_LINES;
    slot['='] = M_EQ;
    slot['_'] = M_US;
    slot[':'] = M_COLON;
    slot['-'] = M_DASH;
    slot['#'] = M_HASH;
    slot['.'] = M_DOT;
}

/* Copy the first ``n`` items of ``seq`` (numbers) into ``out`` as doubles; -1 with an error set
 * where one is missing or not a number (``what`` names the sequence in the error). */
static int doubles(PyObject *seq, Py_ssize_t n, double *out, const char *what) {
    if (PySequence_Size(seq) < n) {
        if (!PyErr_Occurred()) PyErr_Format(PyExc_ValueError, "%s: fewer than asked", what);
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *v = PySequence_GetItem(seq, i);
        if (v == NULL) return -1;
        out[i] = PyFloat_AsDouble(v);
        Py_DECREF(v);
        if (out[i] == -1.0 && PyErr_Occurred()) return -1;
    }
    return 0;
}

static PyObject *block_tuple(const unsigned char *p, Py_ssize_t n, unsigned char *shape) {
    /* Four tables of counts, one per byte of each group of four: consecutive bytes of one kind
     * (a word's letters) do not wait on one counter's previous increment. The counted bytes'
     * slots are written to ``shape`` back to back (the Python code's shape, a slot a byte), where
     * a digit then a capital is counted in a second pass without a chain from byte to byte. */
    Py_ssize_t counts[4][SKIP + 1] = {{0}};
    Py_ssize_t digit_cap = 0, m = 0, i = 0;
#define STEP(t, b)                  \
    do {                            \
        int k = slot[(b)];          \
        counts[(t)][k]++;           \
        shape[m] = (unsigned char)k; \
        m += k != SKIP;             \
    } while (0)
    for (; i + 4 <= n; i += 4) {
        STEP(0, p[i]);
        STEP(1, p[i + 1]);
        STEP(2, p[i + 2]);
        STEP(3, p[i + 3]);
    }
    for (; i < n; i++) STEP(0, p[i]);
#undef STEP
    for (Py_ssize_t j = 1; j < m; j++) digit_cap += (shape[j] == M_CAPS) & (shape[j - 1] == M_DIGITS);
    PyObject *out = PyTuple_New(N_MEASURES);
    if (out == NULL) return NULL;
    Py_ssize_t values[N_MEASURES];
    values[M_BYTES] = n;
    values[M_DIGIT_CAP] = digit_cap;
    for (int k = 1; k < N_MEASURES; k++)
        if (k != M_DIGIT_CAP) values[k] = counts[0][k] + counts[1][k] + counts[2][k] + counts[3][k];
    for (int k = 0; k < N_MEASURES; k++) {
        PyObject *v = PyLong_FromSsize_t(values[k]);
        if (v == NULL) {
            Py_DECREF(out);
            return NULL;
        }
        PyTuple_SET_ITEM(out, k, v);
    }
    return out;
}

static PyObject *measures(PyObject *self, PyObject *args) {
    Py_buffer chunk;
    PyObject *blocks;
    if (!PyArg_ParseTuple(args, "y*O:measures", &chunk, &blocks)) return NULL;
    PyObject *seq = PySequence_Tuple(blocks); /* a copy: ``__index__`` of a start may change the list */
    if (seq == NULL) {
        PyBuffer_Release(&chunk);
        return NULL;
    }
    Py_ssize_t count = PyTuple_GET_SIZE(seq);
    unsigned char *shape = PyMem_Malloc(chunk.len + 1); /* a block's counted bytes, at most the chunk */
    PyObject *out = shape == NULL ? PyErr_NoMemory() : PyList_New(count);
    if (out == NULL) goto fail;
    const unsigned char *data = (const unsigned char *)chunk.buf;
    for (Py_ssize_t j = 0; j < count; j++) {
        Py_ssize_t start, end;
        PyObject *pair = PyTuple_GET_ITEM(seq, j);
        if (!PyTuple_Check(pair)) {
            PyErr_SetString(PyExc_TypeError, "measures: each block must be a (start, end) tuple");
            goto fail;
        }
        if (!PyArg_ParseTuple(pair, "nn:measures", &start, &end)) goto fail;
        if (start < 0 || end < start || end > chunk.len) {
            PyErr_SetString(PyExc_ValueError, "measures: a block outside the chunk");
            goto fail;
        }
        PyObject *t = block_tuple(data + start, end - start, shape);
        if (t == NULL) goto fail;
        PyList_SET_ITEM(out, j, t);
    }
    PyMem_Free(shape);
    Py_DECREF(seq);
    PyBuffer_Release(&chunk);
    return out;
fail:
    PyMem_Free(shape);
    Py_XDECREF(out);
    Py_DECREF(seq);
    PyBuffer_Release(&chunk);
    return NULL;
}


/* ``leverages(steps, n, cap)``: the loop of ``blocks.Auxiliary.leverages`` over the first ``n``
 * blocks, each step ``(column, row, pivot)`` a fitted measure's column (ints), its row of the
 * factor over the fitted measures before it (floats) and its pivot. Returns ``(divisors, top)``:
 * each block's ``1 - min(h, cap)`` and the largest ``h``. The products are summed in the order
 * the Python loop sums them (``-ffp-contract=off``: no fused multiply-add), so on Python 3.11 the
 * floats are the same; from 3.12 on Python's ``sum`` is compensated and they agree to rounding. */
static PyObject *leverages(PyObject *self, PyObject *args) {
    PyObject *steps;
    Py_ssize_t n;
    double cap;
    if (!PyArg_ParseTuple(args, "Ond:leverages", &steps, &n, &cap)) return NULL;
    if (n < 0) {
        PyErr_SetString(PyExc_ValueError, "leverages: a negative number of blocks");
        return NULL;
    }
    PyObject *seq = PySequence_Tuple(steps); /* a copy: a column's ``__getitem__`` may change the list */
    if (seq == NULL) return NULL;
    Py_ssize_t k = PyTuple_GET_SIZE(seq);
    double *col = PyMem_New(double, cells(k, n, cells(k, k, cells(2, k, 1)))); /* k n + k k + 2 k + 1 */
    PyObject *divisors = NULL;
    if (col == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    double *row = col + k * n, *piv = row + k * k, *z = piv + k;
    for (Py_ssize_t i = 0; i < k; i++) {
        PyObject *step = PyTuple_GET_ITEM(seq, i), *column, *lows;
        if (!PyTuple_Check(step)) {
            PyErr_SetString(PyExc_TypeError, "leverages: each step must be a (column, row, pivot) tuple");
            goto fail;
        }
        if (!PyArg_ParseTuple(step, "OOd:leverages", &column, &lows, &piv[i])) goto fail;
        if (PySequence_Size(column) < n || PySequence_Size(lows) != i) {
            if (!PyErr_Occurred()) /* not over the error of a column or a row that is no sequence */
                PyErr_SetString(PyExc_ValueError,
                                "a column shorter than n, or a row not as long as the steps before it");
            goto fail;
        }
        if (doubles(column, n, col + i * n, "leverages: column") || doubles(lows, i, row + i * k, "leverages: row"))
            goto fail;
        if (piv[i] == 0.0 && n > 0) { /* Python's ``zi * zi / pivot`` */
            PyErr_SetString(PyExc_ZeroDivisionError, "float division by zero");
            goto fail;
        }
    }
    divisors = PyList_New(n);
    if (divisors == NULL) goto fail;
    double top = 0.0;
    for (Py_ssize_t b = 0; b < n; b++) {
        double h = 0.0;
        for (Py_ssize_t i = 0; i < k; i++) {
            double acc = 0.0;
            for (Py_ssize_t p = 0; p < i; p++) acc += row[i * k + p] * z[p];
            double zi = col[i * n + b] - acc;
            z[i] = zi;
            h += zi * zi / piv[i];
        }
        if (h > top) top = h;
        /* Python's min(h, cap): h unless cap < h (so h where cap is NaN, NaN where h is) */
        PyObject *v = PyFloat_FromDouble(1.0 - (cap < h ? cap : h));
        if (v == NULL) goto fail;
        PyList_SET_ITEM(divisors, b, v);
    }
    PyMem_Free(col);
    Py_DECREF(seq);
    return Py_BuildValue("(Nd)", divisors, top);
fail:
    Py_XDECREF(divisors);
    PyMem_Free(col);
    Py_DECREF(seq);
    return NULL;
}

/* Copy the first ``n`` items of ``seq`` (a sequence of ints) into ``out``; -1 with an error set
 * where one is missing or not an int that fits. */
static int ints(PyObject *seq, Py_ssize_t start, Py_ssize_t n, long long *out) {
    if (PySequence_Size(seq) - start < n) { /* start, n >= 0: no overflow */
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "a column shorter than asked");
        return -1;
    }
    for (Py_ssize_t b = 0; b < n; b++) {
        PyObject *v = PySequence_GetItem(seq, start + b);
        if (v == NULL) return -1;
        out[b] = PyLong_AsLongLong(v);
        Py_DECREF(v);
        if (out[b] == -1 && PyErr_Occurred()) return -1;
    }
    return 0;
}

/* ``sums(columns, base, n, sx, tri, nz)``: ``blocks.Auxiliary.sums`` brought from ``base`` to ``n``
 * blocks: to each of ``sx`` the column's sum over blocks ``base:n``, to each of ``tri`` (the upper
 * triangle of x x', row by row) the sum of the products of its two columns there, to each of
 * ``nz`` the blocks there where the column is nonzero. Integers throughout: exact. */
static PyObject *sums(PyObject *self, PyObject *args) {
    PyObject *columns, *sx, *tri, *nz, *out = NULL;
    Py_ssize_t base, n;
    if (!PyArg_ParseTuple(args, "OnnOOO:sums", &columns, &base, &n, &sx, &tri, &nz)) return NULL;
    if (base < 0 || n < base) {
        PyErr_SetString(PyExc_ValueError, "sums: blocks base:n out of range");
        return NULL;
    }
    Py_ssize_t k = PySequence_Size(columns), m = n - base;
    if (k < 0) return NULL;
    Py_ssize_t pairs = cells(k, k, k); /* k (k + 1): twice the triangle's entries */
    if (pairs < 0) return PyErr_NoMemory();
    pairs /= 2;
    /* each size asked only while the ones before agree (no call with an error pending) */
    Py_ssize_t n_sx = PySequence_Size(sx), n_nz = n_sx == k ? PySequence_Size(nz) : -1;
    Py_ssize_t n_tri = n_nz == k ? PySequence_Size(tri) : -1;
    if (n_sx != k || n_nz != k || n_tri != pairs) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "sums: sizes do not agree");
        return NULL;
    }
    long long *x = PyMem_New(long long, cells(k, m, 1));
    long long *acc = PyMem_New(long long, cells(2, k, pairs + 1));
    if (x == NULL || acc == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < k; i++) {
        PyObject *column = PySequence_GetItem(columns, i);
        if (column == NULL) goto done;
        int bad = ints(column, base, m, x + i * m);
        Py_DECREF(column);
        if (bad) goto done;
    }
    long long *a_sx = acc, *a_nz = acc + k, *a_tri = acc + 2 * k;
    if (ints(sx, 0, k, a_sx) || ints(nz, 0, k, a_nz) || ints(tri, 0, pairs, a_tri)) goto done;
    Py_ssize_t t = 0;
    int over = 0; /* a sum or a product beyond 64 bits: an OverflowError (Python's would be exact) */
    for (Py_ssize_t i = 0; i < k; i++) {
        const long long *ci = x + i * m;
        for (Py_ssize_t b = 0; b < m; b++) {
            over |= __builtin_add_overflow(a_sx[i], ci[b], &a_sx[i]);
            over |= __builtin_add_overflow(a_nz[i], (long long)(ci[b] != 0), &a_nz[i]);
        }
        for (Py_ssize_t j = i; j < k; j++, t++) {
            const long long *cj = x + j * m;
            long long total = 0, product;
            for (Py_ssize_t b = 0; b < m; b++) {
                over |= __builtin_mul_overflow(ci[b], cj[b], &product);
                over |= __builtin_add_overflow(total, product, &total);
            }
            over |= __builtin_add_overflow(a_tri[t], total, &a_tri[t]);
        }
    }
    if (over) {
        PyErr_SetString(PyExc_OverflowError, "sums: a sum beyond 64 bits");
        goto done;
    }
    PyObject *lists[3] = {PyList_New(k), PyList_New(t), PyList_New(k)};
    const long long *from[3] = {a_sx, a_tri, a_nz};
    Py_ssize_t sizes[3] = {k, t, k};
    for (int l = 0; l < 3; l++) {
        if (lists[l] == NULL) continue;
        for (Py_ssize_t i = 0; i < sizes[l]; i++) {
            PyObject *v = PyLong_FromLongLong(from[l][i]);
            if (v == NULL) {
                Py_CLEAR(lists[l]);
                break;
            }
            PyList_SET_ITEM(lists[l], i, v);
        }
    }
    if (lists[0] && lists[1] && lists[2]) {
        out = Py_BuildValue("(NNN)", lists[0], lists[1], lists[2]);
    } else {
        for (int l = 0; l < 3; l++) Py_XDECREF(lists[l]);
        if (!PyErr_Occurred()) PyErr_NoMemory();
    }
done:
    PyMem_Free(x);
    PyMem_Free(acc);
    return out;
}

/* ``left_out(ys, columns, coefficients, divisors, n)``: the leave-one-out variance of
 * ``blocks.Estimate._left_out``: over the first ``n`` blocks, each residual
 * ``(y - sum(coefficient * x)) / divisor``, then the sum of the squared deviations from their mean
 * over ``n - 1``. Summed in the Python code's order. */
static PyObject *left_out(PyObject *self, PyObject *args) {
    PyObject *ys, *columns, *coefficients, *divisors, *out = NULL;
    Py_ssize_t n;
    if (!PyArg_ParseTuple(args, "OOOOn:left_out", &ys, &columns, &coefficients, &divisors, &n)) return NULL;
    Py_ssize_t k = PySequence_Size(columns);
    if (k < 0) return NULL;
    if (n < 2 || PySequence_Size(coefficients) != k) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "left_out: sizes do not agree");
        return NULL;
    }
    long long *x = PyMem_New(long long, cells(k, n, cells(n, 1, 1))); /* k n + n + 1 */
    double *f = PyMem_New(double, cells(2, n, cells(k, 1, 1)));      /* 2 n + k + 1 */
    if (x == NULL || f == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    long long *y = x + k * n;
    double *coef = f, *div = f + k, *r = f + k + n;
    if (ints(ys, 0, n, y)) goto done;
    for (Py_ssize_t i = 0; i < k; i++) {
        PyObject *column = PySequence_GetItem(columns, i);
        if (column == NULL) goto done;
        int bad = ints(column, 0, n, x + i * n);
        Py_DECREF(column);
        if (bad) goto done;
    }
    if (doubles(coefficients, k, coef, "left_out: coefficients") ||
        doubles(divisors, n, div, "left_out: divisors")) goto done;
    double total = 0.0;
    for (Py_ssize_t b = 0; b < n; b++) {
        double fit = 0.0;
        for (Py_ssize_t i = 0; i < k; i++) fit += coef[i] * (double)x[i * n + b];
        if (div[b] == 0.0) { /* Python's ``/ div`` (a silent inf or NaN here would pass the check) */
            PyErr_SetString(PyExc_ZeroDivisionError, "float division by zero");
            goto done;
        }
        r[b] = ((double)y[b] - fit) / div[b];
        total += r[b];
    }
    double mean = total / (double)n, squares = 0.0;
    /* the libm's pow, as Python's ``** 2`` calls it (called through a pointer: the compiler would
     * make ``pow(x, 2.0)`` the product ``x * x``, which differs from the libm's pow in the last
     * bit about once in a thousand) */
    double (*volatile libm_pow)(double, double) = pow;
    for (Py_ssize_t b = 0; b < n; b++) {
        double e = r[b] - mean, square = libm_pow(e, 2.0);
        if (isinf(square) && isfinite(e)) { /* Python's ``**`` then raises OverflowError(ERANGE) */
            errno = ERANGE;
            PyErr_SetFromErrno(PyExc_OverflowError);
            goto done;
        }
        squares += square;
    }
    out = PyFloat_FromDouble(squares / (double)(n - 1));
done:
    PyMem_Free(x);
    PyMem_Free(f);
    return out;
}

static int by_value(const void *a, const void *b) {
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

/* ``certain(xs, at, times)``: the blocks of ``blocks.certain``: those with a measure over
 * ``times`` its ``at``-th smallest value over the blocks, in ascending order. */
static PyObject *certain(PyObject *self, PyObject *args) {
    PyObject *xs, *out = NULL;
    Py_ssize_t at;
    long long times;
    if (!PyArg_ParseTuple(args, "OnL:certain", &xs, &at, &times)) return NULL;
    PyObject *seq = PySequence_Tuple(xs); /* a copy: a row's ``__getitem__`` may change the list */
    if (seq == NULL) return NULL;
    Py_ssize_t n = PyTuple_GET_SIZE(seq), k = 0;
    if (n > 0) {
        k = PySequence_Size(PyTuple_GET_ITEM(seq, 0));
        if (k < 0) goto fail;
    }
    if (n > 0 && (at < 0 || at >= n)) {
        PyErr_SetString(PyExc_ValueError, "certain: at out of range");
        goto fail;
    }
    long long *v = PyMem_New(long long, cells(2, cells(n, k, 0), 1)); /* 2 n k + 1 */
    unsigned char *picked = PyMem_Calloc((size_t)n + 1, 1);
    if (v == NULL || picked == NULL) {
        PyMem_Free(v);
        PyMem_Free(picked);
        PyErr_NoMemory();
        goto fail;
    }
    long long *ranked = v + n * k;
    int bad = 0;
    for (Py_ssize_t b = 0; b < n && !bad; b++) {
        PyObject *row = PyTuple_GET_ITEM(seq, b);
        if (PySequence_Size(row) != k) {
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "certain: rows of different lengths");
            bad = 1;
            break;
        }
        for (Py_ssize_t j = 0; j < k; j++) {
            PyObject *item = PySequence_GetItem(row, j);
            if (item == NULL) {
                bad = 1;
                break;
            }
            v[j * n + b] = PyLong_AsLongLong(item);
            Py_DECREF(item);
            if (v[j * n + b] == -1 && PyErr_Occurred()) {
                bad = 1;
                break;
            }
        }
    }
    if (!bad) {
        for (Py_ssize_t j = 0; j < k; j++) {
            memcpy(ranked, v + j * n, sizeof(long long) * (size_t)n);
            qsort(ranked, (size_t)n, sizeof(long long), by_value);
            long long limit;
            if (__builtin_mul_overflow(times, ranked[at], &limit)) {
                /* beyond 64 bits: above every value (nothing picked) or below every one (all) */
                if ((times > 0) == (ranked[at] > 0)) continue;
                for (Py_ssize_t b = 0; b < n; b++) picked[b] = 1;
                continue;
            }
            if (ranked[n - 1] > limit)
                for (Py_ssize_t b = 0; b < n; b++) picked[b] |= v[j * n + b] > limit;
        }
        out = PyList_New(0);
        for (Py_ssize_t b = 0; out != NULL && b < n; b++) {
            if (!picked[b]) continue;
            PyObject *i = PyLong_FromSsize_t(b);
            if (i == NULL || PyList_Append(out, i) < 0) Py_CLEAR(out);
            Py_XDECREF(i);
        }
    }
    PyMem_Free(v);
    PyMem_Free(picked);
fail:
    Py_DECREF(seq);
    return out;
}

/* Copy a k x k sequence of sequences of numbers into ``out`` (row by row); -1 with an error set. */
static int matrix(PyObject *rows, Py_ssize_t k, double *out) {
    if (PySequence_Size(rows) != k) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "not a square matrix");
        return -1;
    }
    for (Py_ssize_t i = 0; i < k; i++) {
        PyObject *row = PySequence_GetItem(rows, i);
        if (row == NULL) return -1;
        if (PySequence_Size(row) != k) {
            Py_DECREF(row);
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "not a square matrix");
            return -1;
        }
        int bad = doubles(row, k, out + i * k, "a matrix row");
        Py_DECREF(row);
        if (bad) return -1;
    }
    return 0;
}

static PyObject *floats(const double *v, Py_ssize_t n) {
    PyObject *out = PyList_New(n);
    for (Py_ssize_t i = 0; out != NULL && i < n; i++) {
        PyObject *f = PyFloat_FromDouble(v[i]);
        if (f == NULL) Py_CLEAR(out);
        else PyList_SET_ITEM(out, i, f);
    }
    return out;
}

/* ``factor(a, collinear)``: ``blocks.factor``'s LDL' of a sum-of-squares matrix, in its order of
 * operations: returns ``(low, d)``, ``low`` a list of k lists. */
static PyObject *factor(PyObject *self, PyObject *args) {
    PyObject *rows, *out = NULL;
    double collinear;
    if (!PyArg_ParseTuple(args, "Od:factor", &rows, &collinear)) return NULL;
    Py_ssize_t k = PySequence_Size(rows);
    if (k < 0) return NULL;
    Py_ssize_t size = cells(2, cells(k, k, 0), cells(k, 1, 1)); /* 2 k k + k + 1 */
    double *a = size < 0 ? NULL : PyMem_Calloc((size_t)size, sizeof(double));
    if (a == NULL) return PyErr_NoMemory();
    double *low = a + k * k, *d = low + k * k;
    if (matrix(rows, k, a) < 0) goto done;
    for (Py_ssize_t j = 0; j < k; j++) {
        const double *lj = low + j * k;
        double acc = 0.0;
        for (Py_ssize_t p = 0; p < j; p++) acc += lj[p] * lj[p] * d[p];
        double v = a[j * k + j] - acc;
        if (v <= collinear * a[j * k + j] + 1e-9) continue;
        d[j] = v;
        for (Py_ssize_t i = j + 1; i < k; i++) {
            double *li = low + i * k, acc_i = 0.0;
            for (Py_ssize_t p = 0; p < j; p++) acc_i += li[p] * lj[p] * d[p];
            li[j] = (a[i * k + j] - acc_i) / v;
        }
    }
    PyObject *lows = PyList_New(k), *pivots = floats(d, k);
    for (Py_ssize_t i = 0; lows != NULL && i < k; i++) {
        PyObject *row = floats(low + i * k, k);
        if (row == NULL) Py_CLEAR(lows);
        else PyList_SET_ITEM(lows, i, row);
    }
    if (lows != NULL && pivots != NULL) {
        out = Py_BuildValue("(NN)", lows, pivots);
    } else {
        Py_XDECREF(lows);
        Py_XDECREF(pivots);
    }
done:
    PyMem_Free(a);
    return out;
}

/* ``solve(low, d, b)``: ``blocks.solve``'s least-squares coefficients for the first ``len(b)``
 * measures and their rank, in its order of operations. */
static PyObject *solve(PyObject *self, PyObject *args) {
    PyObject *lows, *pivots, *rhs, *out = NULL;
    if (!PyArg_ParseTuple(args, "OOO:solve", &lows, &pivots, &rhs)) return NULL;
    Py_ssize_t m = PySequence_Size(pivots);
    if (m < 0) return NULL;
    Py_ssize_t k = PySequence_Size(rhs);
    if (k < 0) return NULL;
    if (k > m) {
        PyErr_SetString(PyExc_ValueError, "solve: more unknowns than pivots");
        return NULL;
    }
    Py_ssize_t size = cells(m, m, cells(m, 1, cells(3, k, 1))); /* m m + m + 3 k + 1 */
    double *low = size < 0 ? NULL : PyMem_Calloc((size_t)size, sizeof(double));
    if (low == NULL) return PyErr_NoMemory();
    double *d = low + m * m, *b = d + m, *z = b + k, *x = z + k;
    if (matrix(lows, m, low) < 0) goto done;
    if (doubles(pivots, m, d, "solve: pivots") || doubles(rhs, k, b, "solve: b")) goto done;
    Py_ssize_t rank = 0;
    for (Py_ssize_t i = 0; i < k; i++) {
        if (d[i] == 0.0) continue;
        rank++;
        double acc = 0.0;
        for (Py_ssize_t p = 0; p < i; p++) acc += low[i * m + p] * z[p];
        z[i] = b[i] - acc;
    }
    for (Py_ssize_t i = k - 1; i >= 0; i--) {
        if (d[i] == 0.0) continue;
        double acc = 0.0;
        for (Py_ssize_t p = i + 1; p < k; p++) acc += low[p * m + i] * x[p];
        x[i] = z[i] / d[i] - acc;
    }
    PyObject *coefficients = floats(x, k);
    if (coefficients != NULL) out = Py_BuildValue("(Nn)", coefficients, rank);
done:
    PyMem_Free(low);
    return out;
}

static PyMethodDef methods[] = {
    {"measures", measures, METH_VARARGS,
     "measures(chunk, blocks) -> the twelve block measures of each (start, end) of blocks, as blocks.measures"},
    {"leverages", leverages, METH_VARARGS,
     "leverages(steps, n, cap) -> (divisors, top): the loop of blocks.Auxiliary.leverages"},
    {"sums", sums, METH_VARARGS, "sums(columns, base, n, sx, tri, nz) -> (sx, tri, nz): blocks.Auxiliary.sums from base to n"},
    {"left_out", left_out, METH_VARARGS, "left_out(ys, columns, coefficients, divisors, n) -> the leave-one-out variance"},
    {"factor", factor, METH_VARARGS, "factor(a, collinear) -> (low, d): blocks.factor"},
    {"solve", solve, METH_VARARGS, "solve(low, d, b) -> (coefficients, rank): blocks.solve"},
    {"certain", certain, METH_VARARGS, "certain(xs, at, times) -> the blocks of blocks.certain"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_measures", "The block measures of a chunk, in C.", -1,
                                    methods};

PyMODINIT_FUNC PyInit__measures(void) {
    init_slots();
    return PyModule_Create(&module);
}
