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
    echo "conenatd: needs a JDK >= $CONENATD_MIN_JAVA (set JAVA_HOME, or install one such as Temurin $CONENATD_MIN_JAVA under /usr/lib/jvm)" >&2
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

# --- Debian packages ------------------------------------------------------

# Every Debian package the scripts (and the tests they run) use, as command:package. A fresh
# Debian 12 machine needs nothing installed by hand: conenatd-test and bench/run ensure all of
# these, conenatd-lab the ones its demo uses. coturn is here for turnutils_natdiscovery and
# prometheus for promtool: only their tools are wanted, never their daemons. help2man and
# binutils (strip) build the Debian package (`conenatd-build deb`, DebianPackageIT). natpmpc and
# miniupnpc (upnpc) are the real NAT-PMP and UPnP IGD clients of PortMappingIT.
CONENATD_PACKAGES=(
    ip:iproute2 ss:iproute2 iptables:iptables conntrack:conntrack
    stun:stun-client stund:stun-server mvn:maven sysctl:procps pgrep:procps
    ethtool:ethtool tcpdump:tcpdump python3:python3 nft:nftables
    turnutils_natdiscovery:coturn promtool:prometheus
    help2man:help2man strip:binutils dpkg-deb:dpkg
    natpmpc:natpmpc upnpc:miniupnpc
)

# ensure_packages CMD[:PKG]...: make sure every CMD is on PATH, installing the missing ones'
# Debian packages with apt-get (root only; `apt-get update` once, and only if something is
# missing). A bare CMD is looked up in CONENATD_PACKAGES. Services of newly installed packages
# are neither started nor left enabled. Fails with one clear line if a command stays missing.
ensure_packages() {
    local spec cmd pkg known missing=() pkgs=() p seen
    # root via `su` (without -) lacks the sbin directories that ip, iptables, ... live in
    for p in /usr/local/sbin /usr/sbin /sbin; do
        [[ :$PATH: == *:$p:* ]] || PATH=$PATH:$p
    done
    export PATH
    for spec in "$@"; do
        cmd=${spec%%:*}
        if [[ $spec == *:* ]]; then
            pkg=${spec#*:}
        else
            pkg=""
            for known in "${CONENATD_PACKAGES[@]}"; do
                [[ ${known%%:*} == "$cmd" ]] && pkg=${known#*:} && break
            done
            [[ -n $pkg ]] || { echo "conenatd: ensure_packages: no Debian package known for '$cmd'" >&2; return 1; }
        fi
        command -v "$cmd" >/dev/null 2>&1 && continue
        missing+=("$cmd")
        seen=0
        for p in "${pkgs[@]}"; do [[ $p == "$pkg" ]] && seen=1; done
        ((seen)) || pkgs+=("$pkg")
    done
    ((${#missing[@]} > 0)) || return 0
    if ((EUID != 0)); then
        echo "conenatd: missing command(s): ${missing[*]}; run as root to have them installed, or: apt-get install ${pkgs[*]}" >&2
        return 1
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "conenatd: missing command(s): ${missing[*]}, and no apt-get to install them (Debian packages: ${pkgs[*]})" >&2
        return 1
    fi
    echo "conenatd: installing Debian package(s) ${pkgs[*]} (for ${missing[*]}) with apt-get" >&2
    _conenatd_apt_install "${pkgs[@]}" || return 1
    for cmd in "${missing[@]}"; do
        command -v "$cmd" >/dev/null 2>&1 && continue
        echo "conenatd: '$cmd' still missing after apt-get install ${pkgs[*]}" >&2
        return 1
    done
}

# _conenatd_apt_install PKG...: apt-get update + install in a subshell (its own traps and shell
# options), serialised by a lock so that two scripts never juggle policy-rc.d at once.
_conenatd_apt_install() (
    set -euo pipefail
    export DEBIAN_FRONTEND=noninteractive
    local policy=/usr/sbin/policy-rc.d saved="" log had pkg unit lockfd new=()
    exec {lockfd}>/run/lock/conenatd-apt.lock
    flock "$lockfd"

    # policy-rc.d exit 101 = "action forbidden": invoke-rc.d and deb-systemd-invoke then start
    # no service during the install. Any existing policy is put back afterwards, as it was.
    log=$(mktemp "${TMPDIR:-/tmp}/conenatd-apt.XXXXXXXX")
    if [[ -e $policy || -L $policy ]]; then
        saved=$(mktemp "$policy.conenatd-saved.XXXXXXXX")
        mv -f -- "$policy" "$saved"
    fi
    # shellcheck disable=SC2317,SC2329  # invoked via trap
    _restore_policy() {
        rm -f -- "$policy"
        [[ -z $saved ]] || mv -f -- "$saved" "$policy"
        rm -f -- "$log"
    }
    trap _restore_policy EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM HUP
    printf '#!/bin/sh\n# written by conenatd ensure_packages for the length of an install: start no service\nexit 101\n' >"$policy"
    chmod 755 "$policy"

    _installed() { dpkg-query -W -f '${db:Status-Abbrev} ${Package}\n' 2>/dev/null | awk '$1 == "ii" { print $2 }' | sort; }
    had=$(_installed)
    # Wait for another apt run (unattended-upgrades, ...) instead of failing on its lock.
    if ! apt-get -q -o DPkg::Lock::Timeout=600 update >"$log" 2>&1 ||
        ! apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 \
            -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@" >>"$log" 2>&1; then
        tail -n 20 -- "$log" >&2
        echo "conenatd: apt-get install $* failed (output above)" >&2
        exit 1
    fi
    mapfile -t new < <(comm -13 <(printf '%s\n' "$had") <(_installed))

    # Under systemd, enabled units would start at the next boot (or already run if something
    # ignored the policy): stop and disable the units of everything just installed.
    if [[ -d /run/systemd/system ]]; then
        for pkg in "${new[@]}"; do
            while read -r unit; do
                [[ -n $unit ]] || continue
                systemctl disable --now --quiet "${unit##*/}" >/dev/null 2>&1 || true
            done < <(dpkg -L "$pkg" 2>/dev/null | grep -E '^(/usr)?/lib/systemd/system/[^/@]+\.(service|socket|timer)$' || true)
        done
    fi
    # Whatever the init system: nothing from the new packages may be running now.
    _no_new_daemons "${new[@]}"
)

# _no_new_daemons PKG...: fail, naming them, if processes run executables of these packages.
_no_new_daemons() {
    local pkg f exe pid running=()
    local -A theirs=()
    for pkg in "$@"; do
        while read -r f; do
            [[ -f $f && -x $f ]] && theirs[$(readlink -f -- "$f")]=$pkg
        done < <(dpkg -L "$pkg" 2>/dev/null | grep -E '/s?bin/' || true)
    done
    ((${#theirs[@]} > 0)) || return 0
    for exe in /proc/[0-9]*/exe; do
        f=$(readlink -- "$exe" 2>/dev/null) || continue
        pid=${exe#/proc/}
        pid=${pid%/exe}
        [[ -n ${theirs[$f]:-} ]] && running+=("$pid:${f##*/}(${theirs[$f]})")
    done
    ((${#running[@]} == 0)) && return 0
    echo "conenatd: newly installed packages left processes running (pid:exe): ${running[*]}; stop them" >&2
    return 1
}

# --- the launcher's argument classification -------------------------------

# conenatd_needs_foreground TABLE ARGS...: succeed if bin/conenatd must run java in the
# foreground for these arguments: the user asked for it (-f, help, version), or the arguments
# are unusual enough that detaching could hide what the Java side has to say about them (an
# unknown option, a missing value, a bare word, --). TABLE is target/conenatd.options, written
# at build time from Main's picocli spec (LauncherOptions), so a new option is known here
# without editing this file; no readable table means the foreground too.
conenatd_needs_foreground() {
    local table=$1 kind name a rest c k
    shift
    local -A kinds=()
    [[ -r $table ]] || return 0
    while read -r kind name; do
        case $kind in
        value | flag | foreground | other) [[ -n $name ]] && kinds[$name]=$kind ;;
        esac
    done <"$table"
    ((${#kinds[@]} > 0)) || return 0
    (($# > 0)) || return 0 # no args: Java prints the usage
    while (($# > 0)); do
        a=$1
        shift
        k=${kinds[$a]:-}
        if [[ -n $k ]]; then # an option name exactly
            case $k in
            flag) continue ;;
            value)
                # "-p -f", "-p" last: ambiguous or missing; let Java say so
                (($# > 0)) && [[ $1 != -* ]] || return 0
                shift
                continue
                ;;
            *) return 0 ;; # foreground, other
            esac
        fi
        case $a in
        --*=*)
            # only a one-value option may carry its value after "="
            [[ ${kinds[${a%%=*}]:-} == value ]] || return 0
            ;;
        --*) return 0 ;; # unknown long option, or "--" (positional args follow)
        -?*)
            # short options, possibly clustered: -dn 1.2.3.4, -q1000, -q=1000
            rest=${a#-}
            while [[ -n $rest ]]; do
                c=${rest:0:1}
                rest=${rest:1}
                case ${kinds[-$c]:-} in
                flag) ;;
                value)
                    # the value is the rest of the cluster, or else the next argument
                    if [[ -z $rest ]]; then
                        (($# > 0)) && [[ $1 != -* ]] || return 0
                        shift
                    fi
                    break
                    ;;
                *) return 0 ;; # foreground, other, unknown
                esac
            done
            ;;
        *) return 0 ;; # a bare word ("-" included): Main takes no positional arguments
        esac
    done
    return 1
}
