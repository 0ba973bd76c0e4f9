package dev.offpath.server;

/** Entry point of the {@code offpath} command. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    throw new UnsupportedOperationException("not yet wired");
  }
}
