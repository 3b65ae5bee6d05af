package org.conenatd.conntrack;

/** Test helper: a {@link FlowView} holding a record's fields, as if decoded from the kernel. */
public final class FlowViews {
    private FlowViews() {}

    public static FlowView of(Flow f) {
        FlowView v = new FlowView();
        v.origProto = f.orig().proto(); v.origSrc = f.orig().src(); v.origDst = f.orig().dst();
        v.origSrcPort = f.orig().srcPort(); v.origDstPort = f.orig().dstPort();
        v.replyProto = f.reply().proto(); v.replySrc = f.reply().src(); v.replyDst = f.reply().dst();
        v.replySrcPort = f.reply().srcPort(); v.replyDstPort = f.reply().dstPort();
        v.status = f.status(); v.mark = f.mark(); v.id = f.id(); v.timeout = f.timeout(); v.zone = f.zone();
        return v;
    }
}
