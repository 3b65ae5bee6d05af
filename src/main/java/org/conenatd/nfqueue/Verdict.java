package org.conenatd.nfqueue;

/** Netfilter verdicts (linux/netfilter.h NF_*). */
public enum Verdict {
    NF_DROP(0), NF_ACCEPT(1), NF_STOLEN(2), NF_QUEUE(3), NF_REPEAT(4), NF_STOP(5);

    public final int code;

    Verdict(int code) {
        this.code = code;
    }
}
