package org.conenatd.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Delivered vs offered rate, one line per mode, as a PNG (headless AWT; no plotting library needed). */
final class Plot {
    private Plot() {}

    /** Where a row sits on the x axis: its paced rate, or the rate an unpaced sender reached. */
    private static double x(FlowBench.Row row) {
        return row.offered() == FlowBench.UNPACED ? row.sendRate() : row.offered();
    }

    static void deliveredVsOffered(List<FlowBench.Row> rows, Path png) throws IOException {
        int w = 900, h = 600, l = 90, r = 30, t = 50, b = 70;
        double max = rows.stream().mapToDouble(x -> Math.max(x(x), x.delivered())).max().orElse(1) * 1.05;
        Canvas canvas = Canvas.blank(w, h);
        Graphics2D g = canvas.g();
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        g.drawString("conenatd: new inbound flows delivered vs offered (unpaced: at the rate the sender reached)", l, 30);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.drawLine(l, h - b, w - r, h - b);
        g.drawLine(l, t, l, h - b);
        for (int i = 0; i <= 5; i++) {
            double v = max * i / 5;
            int x = l + (int) ((w - l - r) * i / 5.0), y = h - b - (int) ((h - t - b) * i / 5.0);
            g.setColor(Color.LIGHT_GRAY);
            g.drawLine(l, y, w - r, y);
            g.setColor(Color.BLACK);
            g.drawString(String.format("%.0fk", v / 1000), x - 12, h - b + 18);
            g.drawString(String.format("%.0fk", v / 1000), l - 45, y + 4);
        }
        g.drawString("offered new flows / s", w / 2 - 60, h - 25);
        g.drawString("delivered / s", 10, t - 10);
        // y = x: everything offered arrives
        g.setColor(Color.GRAY);
        g.setStroke(new BasicStroke(1, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {6, 6}, 0));
        g.drawLine(l, h - b, l + (int) (w - l - r), h - b - (int) (h - t - b));
        String[] modes = {"static-dnat", "seed", "kernel"};
        String[] names = {"static kernel DNAT (ceiling)", "seed mode (-n -q -m)", "kernel mode (-i eth0)"};
        Color[] colors = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c)};
        g.setStroke(new BasicStroke(2.5f));
        for (int m = 0; m < modes.length; m++) {
            g.setColor(colors[m]);
            // every repetition as a dot, the median per rate as the line
            // paced rates by their rate; the unpaced run (rate 0) last, at the median rate its sender reached
            java.util.TreeMap<Integer, List<FlowBench.Row>> byRate = new java.util.TreeMap<>(
                    (p, q) -> Integer.compare(p == FlowBench.UNPACED ? Integer.MAX_VALUE : p, q == FlowBench.UNPACED ? Integer.MAX_VALUE : q));
            boolean any = false;
            for (FlowBench.Row row : rows) {
                if (!row.mode().equals(modes[m])) continue;
                any = true;
                int x = l + (int) ((w - l - r) * x(row) / max);
                int y = h - b - (int) ((h - t - b) * row.delivered() / max);
                g.fillOval(x - 3, y - 3, 6, 6);
                byRate.computeIfAbsent(row.offered(), k -> new java.util.ArrayList<>()).add(row);
            }
            if (!any) continue;
            int px = -1, py = -1;
            for (var e : byRate.entrySet()) {
                double med = FlowBench.median(e.getValue().stream().mapToDouble(FlowBench.Row::delivered).toArray());
                double at = FlowBench.median(e.getValue().stream().mapToDouble(Plot::x).toArray());
                int x = l + (int) ((w - l - r) * at / max);
                int y = h - b - (int) ((h - t - b) * med / max);
                if (px >= 0) g.drawLine(px, py, x, y);
                px = x;
                py = y;
            }
            g.fillRect(l + 20, t + 10 + m * 20, 14, 4);
            g.drawString(names[m], l + 40, t + 16 + m * 20);
        }
        canvas.writePng(png);
    }
}
