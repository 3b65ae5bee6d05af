package org.conenatd.it;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.conenatd.it.Lab.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The Debian package end to end: {@code bin/conenatd-build deb}, {@code dpkg -i}, the installed
 * {@code /usr/sbin/conenatd} run with no JDK in its environment (its JVM must be the bundled
 * runtime), full cone by STUN in a lab through the installed binary, then {@code dpkg --purge}
 * and not one of the package's files left. The package is purged whatever happens.
 */
class DebianPackageIT {
    private static final String PKG = "conenatd";
    private static final String RUNTIME = "/usr/lib/conenatd/runtime/";
    /** What a root shell started by an init system has; no JAVA_HOME, no JDK directory. */
    private static final Map<String, String> CLEAN_ENV = Map.of("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", "LANG", "C");

    @Test
    void buildInstallFullConeThroughTheInstalledBinaryAndPurgeLeavesNothing() throws Exception {
        Lab.requireRoot();
        assertFalse(known(), "conenatd is already installed on this machine; this test will not touch someone else's install");
        Path home = Path.of(System.getProperty("conenatd.home", ".")).toAbsolutePath();

        // The build reuses the jar `mvn verify` has just made (it runs Maven only if the jar is stale).
        Result build = Lab.run(List.of(home.resolve("bin/conenatd-build").toString(), "deb"), 600);
        assertEquals(0, build.code(), "bin/conenatd-build deb failed:\n" + build.out());
        Path deb;
        try (Stream<Path> s = Files.list(home.resolve("target"))) {
            List<Path> debs = s.filter(p -> p.getFileName().toString().matches("conenatd_[^_]+_[a-z0-9]+\\.deb")).toList();
            assertEquals(1, debs.size(), "one package in target/: " + debs);
            deb = debs.getFirst();
        }
        Result info = Lab.run(List.of("dpkg-deb", "-f", deb.toString(), "Package", "Version", "Depends"));
        assertEquals(0, info.code(), info.out());
        assertTrue(info.out().contains("Package: conenatd") && info.out().contains("nftables") && info.out().contains("iptables"),
                info.out());
        Matcher v = Pattern.compile("(?m)^Version: (\\S+)$").matcher(info.out());
        assertTrue(v.find(), info.out());
        String debVersion = v.group(1);

        // Every path in the package, and which of them (shared directories: /usr, /lib/systemd, ...)
        // were there before it.
        Result tar = Lab.run(List.of("sh", "-c", "dpkg-deb --fsys-tarfile \"$1\" | tar -t", "sh", deb.toString()));
        assertEquals(0, tar.code(), tar.out());
        Set<String> preexisting = new TreeSet<>();
        for (String line : tar.out().split("\n")) {
            String p = line.strip().replaceFirst("^\\./?", "/").replaceFirst("(.)/$", "$1");
            if (!p.isEmpty() && Files.exists(Path.of(p), LinkOption.NOFOLLOW_LINKS)) preexisting.add(p);
        }
        assertFalse(preexisting.contains("/usr/sbin/conenatd") || preexisting.contains("/usr/lib/conenatd"),
                "leftovers of an earlier install: " + preexisting);

        List<String> files = new ArrayList<>();
        try {
            Result inst = Lab.run(List.of("dpkg", "-i", deb.toString()), 300);
            if (inst.code() != 0) {
                // missing dependencies: let apt bring them (the test command has installed them normally)
                Result fix = Lab.run(List.of("apt-get", "install", "-f", "-y", "-q", "--no-install-recommends"), 600);
                assertEquals(0, fix.code(), "dpkg -i:\n" + inst.out() + "\napt-get install -f:\n" + fix.out());
            }
            assertTrue(installed(), "dpkg -i:\n" + inst.out());
            Result list = Lab.run(List.of("dpkg", "-L", PKG));
            assertEquals(0, list.code(), list.out());
            // "/." is dpkg's name for the root directory
            files.addAll(list.out().lines().map(String::strip).filter(l -> l.startsWith("/"))
                    .map(l -> Path.of(l).normalize().toString()).toList());
            for (String f : List.of("/usr/sbin/conenatd", "/usr/lib/conenatd/conenatd.jar", "/usr/lib/conenatd/conenatd.options",
                    "/usr/lib/conenatd/runtime/bin/java", "/lib/systemd/system/conenatd.service", "/etc/default/conenatd",
                    "/usr/share/man/man8/conenatd.8.gz", "/usr/share/doc/conenatd/copyright", "/usr/share/doc/conenatd/changelog.gz")) {
                assertTrue(files.contains(f), f + " is in the package: " + files);
                assertTrue(Files.exists(Path.of(f)), f + " installed");
            }
            Result conffiles = Lab.run(List.of("dpkg-query", "-W", "-f", "${Conffiles}", PKG));
            assertTrue(conffiles.out().contains("/etc/default/conenatd"), "the default file is a conffile: " + conffiles.out());
            if (Files.isExecutable(Path.of("/usr/bin/systemd-analyze"))) {
                Result verify = Lab.run(List.of("systemd-analyze", "verify", "/lib/systemd/system/conenatd.service"));
                assertEquals(0, verify.code(), "systemd-analyze verify:\n" + verify.out());
            }

            // --version with no JDK in the environment, through the bundled runtime: the launcher
            // is told which java to run, so it never searches /usr/lib/jvm (it prints nothing else).
            Result version = Lab.run(List.of("env", "-i", "PATH=" + CLEAN_ENV.get("PATH"), "/usr/sbin/conenatd", "--version"));
            assertEquals(0, version.code(), version.out());
            assertEquals("conenatd " + debVersion, version.out().strip(), "only the version, nothing about a JDK");

            fullConeThroughTheInstalledBinary();

            // Nothing written beside the package's files (no class-data archive, no cache) and
            // none of them changed by running it.
            Result verify = Lab.run(List.of("dpkg", "--verify", PKG));
            assertEquals(0, verify.code(), "dpkg --verify:\n" + verify.out());
            assertEquals("", verify.out().strip(), "dpkg --verify: " + verify.out());
            try (Stream<Path> s = Files.walk(Path.of("/usr/lib/conenatd"))) {
                List<String> extra = s.map(Path::toString).filter(p -> !files.contains(p)).toList();
                assertEquals(List.of(), extra, "files under /usr/lib/conenatd that the package does not own");
            }
        } finally {
            if (known()) {
                Result purge = Lab.run(List.of("dpkg", "--purge", PKG), 300);
                assertEquals(0, purge.code(), "dpkg --purge:\n" + purge.out());
            }
        }

        assertFalse(installed(), "still installed after dpkg --purge");
        assertFalse(known(), "dpkg still has conenatd (or its conffiles) after --purge");
        List<String> left = new ArrayList<>();
        for (String f : files) {
            if (!preexisting.contains(f) && Files.exists(Path.of(f), LinkOption.NOFOLLOW_LINKS)) left.add(f);
        }
        assertEquals(List.of(), left, "files of the package left after dpkg --purge");
        assertFalse(Files.exists(Path.of("/etc/default/conenatd")), "the configuration goes on purge");
        assertFalse(Files.exists(Path.of("/usr/lib/conenatd")));
    }

    /** The lab's kernel-mode check with /usr/sbin/conenatd -i eth0 -f in the router; its JVM is the bundled one. */
    private static void fullConeThroughTheInstalledBinary() throws Exception {
        try (Lab lab = new Lab("plain")) {
            lab.useLauncher("/usr/sbin/conenatd", CLEAN_ENV);
            lab.spawn(lab.wan, lab.dir.resolve("stund.log"), "stund", "-h", STUN_PRIMARY, "-a", STUN_ALT);
            Thread.sleep(500);
            String before = stunVerdict(lab);
            assertTrue(before.contains("Port Dependent Filter"), "plain masquerade: " + before);
            String rulesetBefore = lab.ruleset();

            lab.startKernelDaemon();
            List<String> exes = new ArrayList<>();
            for (String pid : Lab.run(List.of("ip", "netns", "pids", lab.rtr)).out().split("\\s+")) {
                if (pid.isBlank()) continue;
                try {
                    exes.add(Files.readSymbolicLink(Path.of("/proc", pid, "exe")).toString());
                } catch (java.io.IOException gone) {
                    // a short-lived process (nft) ended meanwhile
                }
            }
            assertTrue(exes.contains(RUNTIME + "bin/java"), "the daemon's JVM is the bundled runtime: " + exes);
            assertTrue(exes.stream().noneMatch(e -> e.startsWith("/usr/lib/jvm")), "no system JDK runs: " + exes);

            String with = stunVerdict(lab);
            assertTrue(with.contains("Independent Mapping") && with.contains("Independent Filter") && !with.contains("Dependent Filter"),
                    "with /usr/sbin/conenatd -i eth0: " + with + "\n" + lab.daemonLog());

            assertEquals(0, lab.stopDaemon(), "SIGTERM: clean exit\n" + lab.daemonLog());
            assertEquals(rulesetBefore, lab.ruleset(), "the ruleset as before the start");
        }
    }

    private static String stunVerdict(Lab lab) throws Exception {
        Result r = lab.exec(lab.lan, "timeout", "30", "stun", STUN_PRIMARY);
        Matcher m = Pattern.compile("Primary: ([^\\n]*)").matcher(r.out());
        assertTrue(m.find(), "stun printed no verdict: " + r.out());
        return m.group(1).trim();
    }

    /** dpkg's status of the package in two letters ("ii", "rc", ...), or "" if dpkg does not know it. */
    private static String status() throws Exception {
        Result r = Lab.run(List.of("dpkg-query", "-W", "-f", "${db:Status-Abbrev}", PKG));
        return r.code() == 0 && r.out().length() >= 2 ? r.out().substring(0, 2) : "";
    }

    private static boolean installed() throws Exception {
        return status().equals("ii");
    }

    /** Anything for dpkg --purge to do: installed, half-installed, unpacked, or removed with its conffiles left ("rc"). */
    private static boolean known() throws Exception {
        String s = status();
        return !s.isEmpty() && s.charAt(1) != 'n';
    }
}
