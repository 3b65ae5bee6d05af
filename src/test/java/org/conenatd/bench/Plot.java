package org.conenatd.bench;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Delivered vs offered rate, one line per mode, as a PNG (headless AWT; no plotting library needed). */
final class Plot {
    private Plot() {}

    static void deliveredVsOffered(List<FlowBench.Row> rows, Path png) throws IOException {
        System.setProperty("java.awt.headless", "true");
        int w = 900, h = 600, l = 90, r = 30, t = 50, b = 70;
        double max = rows.stream().mapToDouble(x -> Math.max(x.offered(), x.delivered())).max().orElse(1) * 1.05;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        g.drawString("conenatd: new inbound flows delivered vs offered", l, 30);
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
        String[] modes = {"static-dnat", "conenatd"};
        Color[] colors = {new Color(0x1f77b4), new Color(0xd62728)};
        g.setStroke(new BasicStroke(2.5f));
        for (int m = 0; m < modes.length; m++) {
            g.setColor(colors[m]);
            // every repetition as a dot, the median per rate as the line
            java.util.TreeMap<Integer, List<Double>> byRate = new java.util.TreeMap<>();
            for (FlowBench.Row row : rows) {
                if (!row.mode().equals(modes[m])) continue;
                int x = l + (int) ((w - l - r) * row.offered() / max);
                int y = h - b - (int) ((h - t - b) * row.delivered() / max);
                g.fillOval(x - 3, y - 3, 6, 6);
                byRate.computeIfAbsent(row.offered(), k -> new java.util.ArrayList<>()).add(row.delivered());
            }
            int px = -1, py = -1;
            for (var e : byRate.entrySet()) {
                List<Double> v = e.getValue();
                v.sort(null);
                double med = v.size() % 2 == 1 ? v.get(v.size() / 2) : (v.get(v.size() / 2 - 1) + v.get(v.size() / 2)) / 2;
                int x = l + (int) ((w - l - r) * e.getKey() / max);
                int y = h - b - (int) ((h - t - b) * med / max);
                if (px >= 0) g.drawLine(px, py, x, y);
                px = x;
                py = y;
            }
            g.fillRect(l + 20, t + 10 + m * 20, 14, 4);
            g.drawString(modes[m].equals("static-dnat") ? "static kernel DNAT (ceiling)" : "conenatd", l + 40, t + 16 + m * 20);
        }
        g.dispose();
        ImageIO.write(img, "png", png.toFile());
    }
}
