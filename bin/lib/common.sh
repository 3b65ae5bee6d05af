# shellcheck shell=bash
# Shared helpers for the conenatd scripts. Sourced, never executed; it sets no
# shell options of its own so that callers keep control of set -euo pipefail.

# Minimum Java feature release: the daemon uses the final FFM API and
# --enable-native-access, and is compiled with --release 25.
CONENATD_MIN_JAVA=25

# conenatd_root: print the repository root. Computed from this file's own
# location with symlinks resolved, so it is right however the calling script
# was reached (a symlink in /usr/local/bin, a relative path, ...).
conenatd_root() {
    local self
    self=$(readlink -f -- "${BASH_SOURCE[0]}") || return 1
    # this file lives in <root>/bin/lib/
    (cd -- "${self%/*}/../.." && pwd -P)
}

# _java_major_of_release FILE: print the feature version recorded in a JDK's
# "release" file (JAVA_VERSION="25.0.1" -> 25, "1.8.0_402" -> 8). Cheap: no
# JVM start.
_java_major_of_release() {
    local line v
    line=$(grep -m1 '^JAVA_VERSION=' "$1" 2>/dev/null) || return 1
    v=${line#JAVA_VERSION=}
    v=${v//\"/}
    _java_major_of_string "$v"
}

# _java_major_of_string VERSION: "25", "25.0.1", "25-ea", "1.8.0_402" -> major.
_java_major_of_string() {
    local v=$1 major
    [[ $v == 1.* ]] && v=${v#1.}          # pre-9 scheme: 1.8 means 8
    major=${v%%[!0-9]*}                   # leading digits only
    [[ -n $major ]] || return 1
    printf '%d\n' "$((10#$major))"
}

# _java_major JAVA: print the major version of a java executable, or fail.
# The JDK's release file is used when present (fast); otherwise the JVM is
# asked for java.specification.version, which every JDK/JRE since 1.2 reports.
_java_major() {
    local java=$1 real home out line
    [[ -x $java && ! -d $java ]] || return 1
    real=$(readlink -f -- "$java") || return 1
    home=${real%/bin/java}
    if [[ $home != "$real" && -f $home/release ]] && _java_major_of_release "$home/release"; then
        return 0
    fi
    out=$("$java" -XshowSettings:properties -version 2>&1) || return 1
    line=$(grep -m1 -E '^[[:space:]]*java\.specification\.version[[:space:]]*=' <<<"$out") || return 1
    line=${line#*=}
    line=${line//[[:space:]]/}
    _java_major_of_string "$line"
}

# find_java: print the path of a java whose major version is >= 25.
# Order: $JAVA_HOME/bin/java, then the newest /usr/lib/jvm/*/bin/java, then
# `java` on PATH. Fails with one clear line on stderr otherwise.
find_java() {
    local cand major best="" best_major=0
    if [[ -n ${JAVA_HOME:-} ]]; then
        cand="$JAVA_HOME/bin/java"
        if major=$(_java_major "$cand") && ((major >= CONENATD_MIN_JAVA)); then
            printf '%s\n' "$cand"
            return 0
        fi
    fi
    # Debian keeps several JDKs (and alias symlinks to them) here; take the
    # highest feature version, first found wins on ties.
    for cand in "${CONENATD_JVM_DIR:-/usr/lib/jvm}"/*/bin/java; do
        [[ -e $cand ]] || continue
        if major=$(_java_major "$cand") && ((major >= CONENATD_MIN_JAVA && major > best_major)); then
            best=$cand
            best_major=$major
        fi
    done
    if [[ -n $best ]]; then
        printf '%s\n' "$best"
        return 0
    fi
    # Last resort: a JDK installed elsewhere but on PATH (sdkman, tarball).
    if cand=$(command -v java 2>/dev/null) && major=$(_java_major "$cand") &&
        ((major >= CONENATD_MIN_JAVA)); then
        printf '%s\n' "$cand"
        return 0
    fi
    echo "conenatd: needs a JDK >= $CONENATD_MIN_JAVA (set JAVA_HOME or install one under /usr/lib/jvm)" >&2
    return 1
}

# find_java_home: print the JDK directory of find_java's java (for Maven,
# which reads JAVA_HOME). Symlinks such as /usr/bin/java are resolved.
find_java_home() {
    local java real
    java=$(find_java) || return 1
    if [[ -n ${JAVA_HOME:-} && $java == "$JAVA_HOME/bin/java" ]]; then
        printf '%s\n' "${JAVA_HOME%/}"
        return 0
    fi
    real=$(readlink -f -- "$java") || return 1
    printf '%s\n' "${real%/bin/java}"
}
