package org.conenatd.inet;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class RangesTest {
    @Test
    void overlappingAndAdjacentRangesMergeAndTheRestStaySortedApart() {
        assertArrayEquals(new long[] {1, 10, 20, 30}, Ranges.merge(List.of(new long[] {20, 25}, new long[] {1, 5}, new long[] {6, 10},
                new long[] {24, 30}, new long[] {3, 4})));
        assertArrayEquals(new long[0], Ranges.merge(List.of()));
    }

    @Test
    void rangesAreWrittenAsTheOperatorTypesThemSinglePortsAlone() {
        assertEquals("53,5000-5010", Ranges.format(new int[] {53, 53, 5000, 5010}));
        assertEquals("", Ranges.format(new int[0]));
    }
}
