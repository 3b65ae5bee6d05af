package org.conenatd.bench;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;

/** A white image to draw a bench plot on (headless AWT, antialiased, the pen black), written out as a PNG. */
record Canvas(BufferedImage image, Graphics2D g) {
    static Canvas blank(int w, int h) {
        System.setProperty("java.awt.headless", "true");
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        g.setColor(Color.BLACK);
        return new Canvas(img, g);
    }

    void writePng(Path png) throws IOException {
        g.dispose();
        ImageIO.write(image, "png", png.toFile());
    }
}
