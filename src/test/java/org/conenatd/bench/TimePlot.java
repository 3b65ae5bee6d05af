package org.conenatd.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.Stroke;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** Lines over time as a PNG (headless AWT, as {@link Plot}): one colour per group, solid or dashed per variant. */
final class TimePlot {
    private TimePlot() {}

    /** {@code points}: (x, y) pairs in order; {@code color}: an index into the palette; {@code dashed}: the second variant. */
    record Series(String label, int color, boolean dashed, List<double[]> points) {}

    /** A horizontal reference line. */
    record Mark(double y, String label) {}

    private static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xff7f0e), new Color(0xd62728), new Color(0x2ca02c),
            new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f)};

    static void write(String title, String subtitle, String xLabel, String yLabel, double xMax, List<Series> series, List<Mark> marks, Path png) throws IOException {
        int w = 1000, h = 640, l = 90, r = 30, t = 80, b = 60;
        double yData = 10;
        for (Series s : series) for (double[] p : s.points()) yData = Math.max(yData, p[1]);
        double yMax = niceCeil(yData * 1.08);
        for (Mark m : marks) if (m.y() <= yData * 1.5 && m.y() > yMax) yMax = niceCeil(m.y() * 1.05); // a pool the data came close to stays in view
        double xm = Math.max(1, xMax);
        Canvas canvas = Canvas.blank(w, h);
        Graphics2D g = canvas.g();
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        g.drawString(title, 20, 24);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.drawString(subtitle, 20, 44);
        int pw = w - l - r, ph = h - t - b;
        for (int i = 0; i <= 5; i++) {
            int x = l + (int) (pw * i / 5.0), y = h - b - (int) (ph * i / 5.0);
            g.setColor(new Color(0xe0e0e0));
            g.drawLine(l, y, w - r, y);
            g.drawLine(x, t, x, h - b);
            g.setColor(Color.BLACK);
            g.drawString(label(xm * i / 5), x - 10, h - b + 18);
            String yl = label(yMax * i / 5);
            g.drawString(yl, l - 8 - g.getFontMetrics().stringWidth(yl), y + 4);
        }
        g.drawLine(l, h - b, w - r, h - b);
        g.drawLine(l, t, l, h - b);
        g.drawString(xLabel, l + pw / 2 - 20, h - 22);
        g.drawString(yLabel, 10, t - 8);
        Stroke dotted = new BasicStroke(1, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {2, 4}, 0);
        for (Mark m : marks) {
            if (m.y() > yMax) continue;
            int y = h - b - (int) (ph * m.y() / yMax);
            g.setColor(Color.DARK_GRAY);
            g.setStroke(dotted);
            g.drawLine(l, y, w - r, y);
            g.setStroke(new BasicStroke(1));
            g.drawString(m.label(), w - r - 10 - g.getFontMetrics().stringWidth(m.label()), y - 4);
        }
        Stroke solid = new BasicStroke(2.2f);
        Stroke dashed = new BasicStroke(2.2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10, new float[] {8, 5}, 0);
        for (int i = 0; i < series.size(); i++) {
            Series s = series.get(i);
            g.setColor(PALETTE[Math.floorMod(s.color(), PALETTE.length)]);
            g.setStroke(s.dashed() ? dashed : solid);
            int px = -1, py = -1;
            for (double[] p : s.points()) {
                int x = l + (int) (pw * Math.min(p[0], xm) / xm), y = h - b - (int) (ph * p[1] / yMax);
                if (px >= 0) g.drawLine(px, py, x, y);
                px = x;
                py = y;
            }
            int ly = t + 14 + i * 18;
            g.drawLine(l + 16, ly - 4, l + 46, ly - 4);
            g.setStroke(new BasicStroke(1));
            g.setColor(Color.BLACK);
            g.drawString(s.label(), l + 54, ly);
        }
        canvas.writePng(png);
    }

    private static String label(double v) {
        if (v >= 10_000) return String.format(Locale.ROOT, "%.0fk", v / 1000);
        if (v >= 1000) return String.format(Locale.ROOT, "%.1fk", v / 1000);
        return String.format(Locale.ROOT, "%.0f", v);
    }

    private static double niceCeil(double v) {
        double mag = Math.pow(10, Math.floor(Math.log10(v)));
        for (double step : new double[] {1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10}) if (step * mag >= v) return step * mag;
        return 10 * mag;
    }
}
