package org.conenatd.nat;

/**
 * The mapping flows of one table dump, per protocol, collected by the dumping thread without a
 * lock and handed to {@link FullConeNat#finishResync}.
 */
public final class FlowSnapshot {
    private final FlowIndex[] flows = new FlowIndex[Protocol.count()];

    public FlowSnapshot(int expected) {
        for (int i = 0; i < flows.length; i++) flows[i] = new FlowIndex(Math.max(1024, expected));
    }

    public FlowSnapshot() {
        this(1024);
    }

    public void add(Protocol p, int peerIp, int peerPort, int natPort, int lanIp, int lanPort) {
        flows[p.ordinal()].add(FlowIndex.key(peerIp, peerPort, natPort), FlowIndex.pack(natPort, Endpoint.of(lanIp, lanPort)));
    }

    public void add(MappingFlow f) {
        add(f.protocol(), f.peerIp(), f.peerPort(), f.natPort(), f.lanIp(), f.lanPort());
    }

    FlowIndex flows(Protocol p) {
        return flows[p.ordinal()];
    }

    public int size() {
        int n = 0;
        for (FlowIndex f : flows) n += f.size();
        return n;
    }
}
