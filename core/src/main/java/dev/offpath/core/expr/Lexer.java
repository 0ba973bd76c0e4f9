package dev.offpath.core.expr;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits expression text into Go tokens (Mixer parsed expressions with Go's {@code go/parser}).
 * Newlines are plain white space (Go would insert semicolons; a superset is accepted). Errors carry
 * Go's texts and a {@code line:column} position as Go reported them.
 */
final class Lexer {

  enum Kind {
    IDENT,
    INT,
    FLOAT,
    STRING,
    CHAR,
    OP,
    EOF
  }

  /** One token; {@code text} is the source text (literals keep their quotes). */
  record Token(Kind kind, String text, int offset) {

    /** The token as Go's parser names it in "found ..." messages. */
    String describe() {
      return switch (kind) {
        case EOF -> "'EOF'";
        case OP -> "'" + text + "'";
        default -> text;
      };
    }
  }

  private static final String[] OPERATORS = {
    "&^=", "<<=", ">>=", "...", "&&", "||", "==", "!=", "<=", ">=", "<<", ">>", "&^", "<-", "++", "--",
    ":=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "+", "-", "*", "/", "%", "&", "|", "^",
    "<", ">", "=", "!", "(", ")", "[", "]", "{", "}", ",", ";", ".", ":", "~"
  };

  private final String src;
  private int pos;

  private Lexer(String src) {
    this.src = src;
  }

  static List<Token> tokenize(String src) throws ExpressionException {
    Lexer lexer = new Lexer(src);
    List<Token> out = new ArrayList<>();
    while (true) {
      Token t = lexer.next();
      out.add(t);
      if (t.kind() == Kind.EOF) {
        return out;
      }
    }
  }

  /** Go's "line:column" of an offset (columns count chars; Go counted bytes). */
  static String position(String src, int offset) {
    int line = 1;
    int col = 1;
    for (int i = 0; i < offset && i < src.length(); i++) {
      if (src.charAt(i) == '\n') {
        line++;
        col = 1;
      } else {
        col++;
      }
    }
    return line + ":" + col;
  }

  static ExpressionException syntaxError(String src, int offset, String message) {
    return new ExpressionException(
        "unable to parse expression '" + src + "': " + position(src, offset) + ": " + message);
  }

  private Token next() throws ExpressionException {
    while (pos < src.length() && isSpace(src.charAt(pos))) {
      pos++;
    }
    if (pos >= src.length()) {
      return new Token(Kind.EOF, "", pos);
    }
    int start = pos;
    char c = src.charAt(pos);
    if (isLetter(c)) {
      while (pos < src.length() && (isLetter(src.charAt(pos)) || isDigit(src.charAt(pos)))) {
        pos++;
      }
      return new Token(Kind.IDENT, src.substring(start, pos), start);
    }
    if (isDigit(c) || (c == '.' && pos + 1 < src.length() && isDigit(src.charAt(pos + 1)))) {
      return number(start);
    }
    if (c == '"') {
      return interpreted(start);
    }
    if (c == '`') {
      int end = src.indexOf('`', pos + 1);
      if (end < 0) {
        throw syntaxError(src, start, "raw string literal not terminated");
      }
      pos = end + 1;
      return new Token(Kind.STRING, src.substring(start, pos), start);
    }
    if (c == '\'') {
      return rune(start);
    }
    for (String op : OPERATORS) {
      if (src.startsWith(op, pos)) {
        pos += op.length();
        return new Token(Kind.OP, op, start);
      }
    }
    int cp = src.codePointAt(pos);
    throw syntaxError(
        src,
        start,
        String.format("illegal character U+%04X '%s'", cp, new String(Character.toChars(cp))));
  }

  private Token number(int start) {
    boolean hex = src.startsWith("0x", start) || src.startsWith("0X", start);
    boolean isFloat = false;
    while (pos < src.length()) {
      char c = src.charAt(pos);
      if (c == '.') {
        isFloat = true;
      } else if (!isDigit(c) && !isLetter(c)) {
        break;
      }
      pos++;
      boolean exponent = hex ? (c == 'p' || c == 'P') : (c == 'e' || c == 'E');
      if (exponent) {
        isFloat = true;
        if (pos < src.length() && (src.charAt(pos) == '+' || src.charAt(pos) == '-')) {
          pos++;
        }
      }
    }
    return new Token(isFloat ? Kind.FLOAT : Kind.INT, src.substring(start, pos), start);
  }

  private Token interpreted(int start) throws ExpressionException {
    pos++;
    while (true) {
      if (pos >= src.length() || src.charAt(pos) == '\n') {
        throw syntaxError(src, start, "string literal not terminated");
      }
      char c = src.charAt(pos);
      if (c == '"') {
        pos++;
        return new Token(Kind.STRING, src.substring(start, pos), start);
      }
      if (c == '\\') {
        int escStart = pos;
        pos++;
        if (pos >= src.length()) {
          throw syntaxError(src, start, "string literal not terminated");
        }
        char e = src.charAt(pos);
        int hexDigits =
            switch (e) {
              case 'x' -> 2;
              case 'u' -> 4;
              case 'U' -> 8;
              default -> 0;
            };
        if ("abfnrtv\\\"".indexOf(e) >= 0) {
          pos++;
        } else if (e >= '0' && e <= '7') {
          for (int i = 0; i < 3; i++, pos++) {
            if (pos >= src.length() || src.charAt(pos) < '0' || src.charAt(pos) > '7') {
              throw syntaxError(src, escStart, "illegal character in escape sequence");
            }
          }
        } else if (hexDigits > 0) {
          pos++;
          for (int i = 0; i < hexDigits; i++, pos++) {
            if (pos >= src.length() || Character.digit(src.charAt(pos), 16) < 0) {
              throw syntaxError(src, escStart, "illegal character in escape sequence");
            }
          }
        } else {
          throw syntaxError(src, escStart, "unknown escape sequence");
        }
      } else {
        pos++;
      }
    }
  }

  private Token rune(int start) throws ExpressionException {
    pos++;
    while (pos < src.length() && src.charAt(pos) != '\'' && src.charAt(pos) != '\n') {
      if (src.charAt(pos) == '\\') {
        pos++;
      }
      pos++;
    }
    if (pos >= src.length() || src.charAt(pos) != '\'') {
      throw syntaxError(src, start, "rune literal not terminated");
    }
    pos++;
    return new Token(Kind.CHAR, src.substring(start, pos), start);
  }

  private static boolean isSpace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
  }

  private static boolean isLetter(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (c > 0x7f && Character.isLetter(c));
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  /** Go's strconv.Unquote for an interpreted, raw or rune literal already validated by the lexer. */
  static String unquote(String literal) {
    char q = literal.charAt(0);
    String body = literal.substring(1, literal.length() - 1);
    if (q == '`') {
      return body.replace("\r", "");
    }
    if (body.indexOf('\\') < 0) {
      return body;
    }
    // Go strings are bytes: \x and octal escapes are bytes, the rest UTF-8.
    ByteArrayOutputStream out = new ByteArrayOutputStream(body.length());
    for (int i = 0; i < body.length(); ) {
      char c = body.charAt(i);
      if (c != '\\') {
        int cp = body.codePointAt(i);
        writeUtf8(out, cp);
        i += Character.charCount(cp);
        continue;
      }
      char e = body.charAt(i + 1);
      int simple = "abfnrtv\\\"'".indexOf(e);
      if (simple >= 0) {
        out.write("\u0007\b\f\n\r\t\u000b\\\"'".charAt(simple));
        i += 2;
      } else if (e == 'x') {
        out.write(Integer.parseInt(body.substring(i + 2, i + 4), 16));
        i += 4;
      } else if (e == 'u') {
        writeUtf8(out, Integer.parseInt(body.substring(i + 2, i + 6), 16));
        i += 6;
      } else if (e == 'U') {
        writeUtf8(out, Integer.parseInt(body.substring(i + 2, i + 10), 16));
        i += 10;
      } else {
        out.write(Integer.parseInt(body.substring(i + 1, i + 4), 8));
        i += 4;
      }
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  private static void writeUtf8(ByteArrayOutputStream out, int cp) {
    out.writeBytes(new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8));
  }
}
