# shellcheck shell=bash
# build_deb ROOT JAVA_HOME: lay out the conenatd Debian package from ROOT/target/conenatd.jar
# and build ROOT/target/conenatd_<version>_<arch>.deb. Sourced by bin/conenatd-build (after
# lib/common.sh); runs in a subshell with its own shell options.
#
# What goes where (static files in contrib/debian/):
#   /usr/sbin/conenatd                    contrib/debian/conenatd.sbin: runs the launcher below
#                                         with the bundled runtime and jar
#   /usr/lib/conenatd/bin/conenatd        bin/conenatd and bin/lib/common.sh, unchanged
#   /usr/lib/conenatd/conenatd.jar        the shaded jar, with conenatd.options (the launcher's
#                                         option table) and conenatd.aot (an AOT cache)
#   /usr/lib/conenatd/runtime/            jlink image of the modules jdeps finds in the jar
#   /lib/systemd/system/conenatd.service  /etc/default/conenatd (conffile)
#   /usr/share/man/man8/conenatd.8.gz     help2man, from --help and --version
#   /usr/share/doc/conenatd/              copyright, changelog.gz
build_deb() (
    set -euo pipefail
    local tree=$1 jdk=$2
    local src=$tree/contrib/debian out=$tree/target/deb
    local pkg=$out/root lib version arch modules maint date tmp size debfile
    lib=$pkg/usr/lib/conenatd
    ensure_packages dpkg-deb:dpkg help2man:help2man strip:binutils gzip:gzip

    version=$(sed -n 's:^  <version>\([^<]*\)</version>.*:\1:p' "$tree/pom.xml" | head -n 1)
    [[ $version =~ ^[0-9][0-9A-Za-z.+~-]*$ ]] || { echo "conenatd-build: no project version in pom.xml" >&2; exit 1; }
    arch=$(dpkg --print-architecture)
    umask 022
    rm -rf -- "$out"
    mkdir -p -- "$pkg/DEBIAN" "$lib/bin/lib" "$pkg/usr/sbin" "$pkg/lib/systemd/system" \
        "$pkg/etc/default" "$pkg/usr/share/man/man8" "$pkg/usr/share/doc/conenatd"

    # The jar, its option table (never older than the jar: the launcher would ignore it), the
    # launcher, the package's entry point.
    install -m 644 "$tree/target/conenatd.jar" "$lib/conenatd.jar"
    install -m 644 "$tree/target/conenatd.options" "$lib/conenatd.options"
    touch -r "$lib/conenatd.jar" "$lib/conenatd.options"
    install -m 755 "$tree/bin/conenatd" "$lib/bin/conenatd"
    install -m 644 "$tree/bin/lib/common.sh" "$lib/bin/lib/common.sh"
    install -m 755 "$src/conenatd.sbin" "$pkg/usr/sbin/conenatd"

    # The runtime: only the modules the jar needs, no debug information, symbols, man pages,
    # headers or tools. No CDS archive of its own: conenatd.aot below covers the JDK classes
    # the daemon loads, too.
    modules=$("$jdk/bin/jdeps" --print-module-deps --ignore-missing-deps --multi-release 25 "$lib/conenatd.jar")
    [[ -n $modules ]] || { echo "conenatd-build: jdeps found no modules" >&2; exit 1; }
    echo "conenatd-build: jlink runtime of $modules"
    "$jdk/bin/jlink" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files \
        --compress zip-6 --output "$lib/runtime"
    rm -f -- "$lib/runtime/bin/keytool"
    find "$lib/runtime" -type f \( -name '*.so' -o -path '*/bin/*' -o -name jspawnhelper -o -name jexec \) \
        -exec strip --strip-unneeded {} +

    # The wrapper's environment, pointing at the staged tree instead of /usr/lib/conenatd.
    local -a staged=(env -u JAVA_HOME "CONENATD_JAVA=$lib/runtime/bin/java" "CONENATD_JAR=$lib/conenatd.jar")
    if [[ $("${staged[@]}" CONENATD_CDS=0 "$lib/bin/conenatd" --version) != "conenatd $version" ]]; then
        echo "conenatd-build: conenatd --version does not say 'conenatd $version' (pom.xml and Main disagree?)" >&2
        exit 1
    fi
    # An AOT cache (JEP 483/514/515) from the daemon's training run over its hot paths, made by
    # the launcher with its own JVM options on the bundled runtime: classes loaded and linked
    # ahead of time, and the hot methods' profiles.
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/conenatd-deb.XXXXXXXX")
    trap 'rm -rf -- "$tmp"' EXIT
    if ! "${staged[@]}" CONENATD_AOT_TRAIN=1 "$lib/bin/conenatd" 3000 >"$tmp/aot.log" 2>&1 || [[ ! -s $lib/conenatd.aot ]]; then
        cat -- "$tmp/aot.log" >&2
        echo "conenatd-build: creating the AOT cache failed" >&2
        exit 1
    fi
    chmod 644 "$lib/conenatd.aot"

    # conenatd(8) from the program's own --help, printed unwrapped for help2man to lay out.
    printf '#!/bin/sh\nexec %s "$@"\n' "${staged[*]} CONENATD_JAVA_OPTS=-Dpicocli.usage.width=10000 $lib/bin/conenatd" >"$tmp/conenatd"
    chmod 755 "$tmp/conenatd"
    help2man --no-info --section=8 --name="full cone NAT daemon for Linux routers" \
        --output="$tmp/conenatd.8" "$tmp/conenatd"
    gzip -9n <"$tmp/conenatd.8" >"$pkg/usr/share/man/man8/conenatd.8.gz"

    install -m 644 "$src/conenatd.service" "$pkg/lib/systemd/system/conenatd.service"
    install -m 644 "$src/conenatd.default" "$pkg/etc/default/conenatd"
    install -m 644 "$src/copyright" "$pkg/usr/share/doc/conenatd/copyright"
    maint=${DEBFULLNAME:+$DEBFULLNAME <${DEBEMAIL:-root@localhost}>}
    [[ -n $maint ]] || maint=$(git -C "$tree" log -1 --format='%an <%ae>' 2>/dev/null) || true
    [[ -n $maint ]] || maint="conenatd maintainers <root@localhost>"
    date=$(git -C "$tree" log -1 --format=%aD 2>/dev/null) || date=$(date -R)
    {
        printf 'conenatd (%s) unstable; urgency=medium\n\n' "$version"
        printf '  * Built from commit %s of the conenatd source tree.\n\n' \
            "$(git -C "$tree" describe --always --dirty 2>/dev/null || echo unknown)"
        printf ' -- %s  %s\n' "$maint" "$date"
    } | gzip -9n >"$pkg/usr/share/doc/conenatd/changelog.gz"

    for f in postinst prerm postrm; do install -m 755 "$src/$f" "$pkg/DEBIAN/$f"; done
    echo /etc/default/conenatd >"$pkg/DEBIAN/conffiles"
    size=$(du -sk --exclude=DEBIAN "$pkg" | cut -f1)
    sed -e "s|@VERSION@|$version|" -e "s|@MAINTAINER@|$maint|" -e "s|@INSTALLED_SIZE@|$size|" \
        -e "s|^Architecture: .*|Architecture: $arch|" "$src/control.in" >"$pkg/DEBIAN/control"
    (cd -- "$pkg" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z |
        xargs -0 md5sum) >"$pkg/DEBIAN/md5sums"
    chmod 644 "$pkg/DEBIAN/control" "$pkg/DEBIAN/conffiles" "$pkg/DEBIAN/md5sums"

    debfile=$tree/target/conenatd_${version}_${arch}.deb
    dpkg-deb --root-owner-group --build "$pkg" "$debfile" >/dev/null
    echo "conenatd-build: built $debfile ($(du -h -- "$debfile" | cut -f1))"
)
