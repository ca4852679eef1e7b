'use strict'
const assert = require('node:assert/strict')

/** Asserts that `fn` throws an instance of `Class` whose `code` is `code`. */
function throwsCode(fn, Class, code) {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof Class, `expected ${Class.name}, got ${e && e.constructor && e.constructor.name}: ${e && e.message}`)
    assert.equal(e.code, code, `wrong code for: ${e.message}`)
    return true
  })
}

const range = (fn) => throwsCode(fn, RangeError, 'AP_ERR_OUT_OF_RANGE')
const type = (fn) => throwsCode(fn, TypeError, 'AP_ERR_INVALID_ARGUMENT')

/** Values that are not u64 numbers: RangeError. */
const OUT_OF_RANGE_U64 = [-1, -0.5, 1.5, NaN, Infinity, -Infinity, 2 ** 64, -1n, 2n ** 64n]
/** Values of the wrong type for a u64: TypeError. */
const WRONG_TYPE_U64 = ['1', null, undefined, {}, [], true, Symbol('x'), () => 1]

module.exports = { throwsCode, range, type, OUT_OF_RANGE_U64, WRONG_TYPE_U64 }
