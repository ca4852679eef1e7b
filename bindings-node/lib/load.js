'use strict'
// Loads the native addon through the generated loader (binding.js). When that fails, the error
// says which package should hold the addon for this platform, whether this version of atomicperf
// publishes one, and what to do, instead of the loader's list of every path it tried (kept as
// `cause`). Its code is Node's own for a module that cannot be found, 'MODULE_NOT_FOUND': no
// binding invents a code the core's status table does not have.
//
// The addon comes in one npm package per platform (atomicperf-linux-x64-gnu, ...), each an
// optional dependency of atomicperf at the same exact version; npm installs the one whose
// os/cpu/libc match. A checkout of the repository loads ./atomicperf.<platform>.node instead.

const { readFileSync } = require('node:fs')
const path = require('node:path')

/** The napi-rs platform name of this process: linux-x64-gnu, darwin-arm64, win32-x64-msvc, ... */
function platformName() {
  const { platform, arch } = process
  if (platform === 'linux') {
    if (arch === 'arm') return `linux-arm-${isMusl() ? 'musleabihf' : 'gnueabihf'}`
    return `linux-${arch}-${isMusl() ? 'musl' : 'gnu'}`
  }
  if (platform === 'win32') return `win32-${arch}-msvc`
  return `${platform}-${arch}`
}

function isMusl() {
  try {
    const report = process.report && process.report.getReport()
    if (report && report.header) return !report.header.glibcVersionRuntime
  } catch {
    // fall through
  }
  try {
    return readFileSync('/usr/bin/ldd', 'utf8').includes('musl')
  } catch {
    return false
  }
}

function ownManifest() {
  try {
    return JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8'))
  } catch {
    return {}
  }
}

/** The message for a failed load; `cause` is the loader's error. */
function describeFailure(cause) {
  const pkg = ownManifest()
  const name = pkg.name || 'atomicperf'
  const version = pkg.version || '(unknown version)'
  const platform = platformName()
  const wanted = `${name}-${platform}`
  const published = Object.keys(pkg.optionalDependencies || {})
    .filter((dep) => dep.startsWith(`${name}-`))
  const where = `${process.platform} ${process.arch}${process.platform === 'linux' ? (isMusl() ? ' (musl)' : ' (glibc)') : ''}`
  const fromSource =
    'build the addon from source: in a checkout of the atomicperf repository, ' +
    '`scripts/dist.sh node` (or `cd bindings-node && npm install && npx napi build --platform --release`), ' +
    'then point NAPI_RS_NATIVE_LIBRARY_PATH at the .node file it wrote'
  let installed = false
  try {
    require.resolve(`${wanted}/package.json`)
    installed = true
  } catch {
    // not installed
  }
  let message
  if (published.length === 0) {
    // A checkout (or a package packed without the per-platform packages).
    message =
      `${name}: the native addon for ${where} (./atomicperf.${platform}.node) is not built. ` +
      `In a checkout of the repository run scripts/test-node.sh or scripts/dist.sh node; ` +
      `otherwise install the published package with \`npm install ${name}\`.`
  } else if (!published.includes(wanted)) {
    message =
      `${name} ${version} has no prebuilt addon for ${where}: the package ${wanted} does not exist ` +
      `(prebuilt: ${published.join(', ')}). To use ${name} here, ${fromSource}.`
  } else if (!installed) {
    message =
      `${name}: the package ${wanted} (the native addon for ${where}) is not installed. ` +
      `It is an optional dependency of ${name} ${version}, so npm skips it under --no-optional, ` +
      `--omit=optional or when another platform wrote the lockfile. Run \`npm install ${name}\` ` +
      `without --no-optional/--omit=optional (if it still lacks ${wanted}, remove node_modules and ` +
      `package-lock.json and install again, see https://github.com/npm/cli/issues/4828), or ${fromSource}.`
  } else {
    message =
      `${name}: the package ${wanted} is installed but its addon did not load on ${where} ` +
      `(${firstMessage(cause)}). Check that ${wanted} has version ${version} (npm ls ${wanted}); ` +
      `on Linux the prebuilt addon needs glibc 2.17 or later. Otherwise ${fromSource}.`
  }
  const error = new Error(message)
  error.code = 'MODULE_NOT_FOUND'
  error.cause = cause
  return error
}

function firstMessage(error) {
  let e = error
  const seen = []
  while (e && seen.length < 20) {
    seen.push(e.message)
    e = e.cause
  }
  return seen.filter((m) => m && !m.startsWith('Cannot find native binding')).slice(-1)[0] || String(error && error.message)
}

/** The generated loader's exports (the native functions). */
module.exports = function loadNative() {
  try {
    return require('../binding.js')
  } catch (e) {
    throw describeFailure(e)
  }
}
module.exports.platformName = platformName
