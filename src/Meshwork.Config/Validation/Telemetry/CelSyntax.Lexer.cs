namespace Meshwork.Config.Validation.Telemetry;

/// <summary>CEL tokens: identifiers, numbers, strings with their prefixes and escapes, punctuation, comments.</summary>
public static partial class CelSyntax
{
    private sealed class Lexer(string text)
    {
        private static readonly string[] Puncts = ["&&", "||", "<=", ">=", "==", "!=", "(", ")", "[", "]", "{", "}", ".", ",", ":", "?", "+", "-", "*", "/", "%", "!", "<", ">"];

        private int _pos;
        private int _line = 1;
        private int _lineStart;

        public static List<Token> Tokenize(string text) => new Lexer(text).Run();

        private int Column => _pos - _lineStart + 1;

        private List<Token> Run()
        {
            var tokens = new List<Token>();
            while (true)
            {
                SkipTrivia();
                if (_pos >= text.Length)
                {
                    tokens.Add(new Token(TokenKind.End, string.Empty, _line, Column));
                    return tokens;
                }

                tokens.Add(Next());
            }
        }

        private void SkipTrivia()
        {
            while (_pos < text.Length)
            {
                var c = text[_pos];
                if (c == '\n')
                {
                    _pos++;
                    _line++;
                    _lineStart = _pos;
                }
                else if (c is ' ' or '\t' or '\r' or '\f')
                {
                    _pos++;
                }
                else if (c == '/' && _pos + 1 < text.Length && text[_pos + 1] == '/')
                {
                    while (_pos < text.Length && text[_pos] != '\n')
                    {
                        _pos++;
                    }
                }
                else
                {
                    return;
                }
            }
        }

        private Token Next()
        {
            var (line, column) = (_line, Column);
            var c = text[_pos];
            if (IsStringStart())
            {
                return String(line, column);
            }

            if (char.IsAsciiDigit(c) || (c == '.' && _pos + 1 < text.Length && char.IsAsciiDigit(text[_pos + 1])))
            {
                return Number(line, column);
            }

            if (char.IsAsciiLetter(c) || c == '_')
            {
                var start = _pos;
                while (_pos < text.Length && (char.IsAsciiLetterOrDigit(text[_pos]) || text[_pos] == '_'))
                {
                    _pos++;
                }

                var word = text[start.._pos];
                return word switch
                {
                    "in" => new Token(TokenKind.Punct, word, line, column),
                    "true" or "false" or "null" => new Token(TokenKind.Literal, word, line, column),
                    _ => new Token(TokenKind.Identifier, word, line, column),
                };
            }

            foreach (var punct in Puncts)
            {
                if (string.CompareOrdinal(text, _pos, punct, 0, punct.Length) == 0)
                {
                    _pos += punct.Length;
                    return new Token(TokenKind.Punct, punct, line, column);
                }
            }

            throw new CelSyntaxException($"token recognition error at: '{c}'", line, column);
        }

        private bool IsStringStart()
        {
            var i = _pos;
            for (var prefix = 0; prefix < 2 && i < text.Length && text[i] is 'r' or 'R' or 'b' or 'B'; prefix++)
            {
                i++;
            }

            return i < text.Length && text[i] is '"' or '\'';
        }

        private Token String(int line, int column)
        {
            var start = _pos;
            var raw = false;
            while (text[_pos] is 'r' or 'R' or 'b' or 'B')
            {
                raw |= text[_pos] is 'r' or 'R';
                _pos++;
            }

            var quote = text[_pos];
            var triple = _pos + 2 < text.Length && text[_pos + 1] == quote && text[_pos + 2] == quote;
            _pos += triple ? 3 : 1;
            while (true)
            {
                if (_pos >= text.Length)
                {
                    throw new CelSyntaxException("unterminated string literal", line, column);
                }

                var c = text[_pos];
                if (triple ? c == quote && _pos + 2 < text.Length && text[_pos + 1] == quote && text[_pos + 2] == quote : c == quote)
                {
                    _pos += triple ? 3 : 1;
                    return new Token(TokenKind.String, text[start.._pos], line, column);
                }

                if (!triple && c is '\n' or '\r')
                {
                    throw new CelSyntaxException("unterminated string literal", line, column);
                }

                if (c == '\n')
                {
                    _line++;
                    _lineStart = _pos + 1;
                }

                if (c == '\\' && !raw)
                {
                    Escape();
                }
                else
                {
                    _pos++;
                }
            }
        }

        private void Escape()
        {
            var (line, column) = (_line, Column);
            var next = _pos + 1 < text.Length ? text[_pos + 1] : '\0';
            var length = next switch
            {
                'a' or 'b' or 'f' or 'n' or 'r' or 't' or 'v' or '\\' or '\'' or '"' or '`' or '?' => 2,
                'x' or 'X' => HexRun(_pos + 2, 2) ? 4 : 0,
                'u' => HexRun(_pos + 2, 4) ? 6 : 0,
                'U' => HexRun(_pos + 2, 8) ? 10 : 0,
                >= '0' and <= '3' => _pos + 3 < text.Length && text[_pos + 2] is >= '0' and <= '7' && text[_pos + 3] is >= '0' and <= '7' ? 4 : 0,
                _ => 0,
            };
            if (length == 0)
            {
                throw new CelSyntaxException($"invalid escape sequence \"\\{next}\"", line, column);
            }

            _pos += length;
        }

        private bool HexRun(int from, int count) =>
            from + count <= text.Length && text.AsSpan(from, count).ToString().All(char.IsAsciiHexDigit);

        private Token Number(int line, int column)
        {
            var start = _pos;
            if (text[_pos] == '0' && _pos + 1 < text.Length && text[_pos + 1] is 'x' or 'X')
            {
                _pos += 2;
                var digits = _pos;
                while (_pos < text.Length && char.IsAsciiHexDigit(text[_pos]))
                {
                    _pos++;
                }

                if (_pos == digits)
                {
                    throw new CelSyntaxException("invalid hex literal", line, column);
                }

                return IntSuffix(start, line, column);
            }

            Digits();
            var isDouble = false;
            if (_pos + 1 < text.Length && text[_pos] == '.' && char.IsAsciiDigit(text[_pos + 1]))
            {
                _pos++;
                Digits();
                isDouble = true;
            }

            if (_pos < text.Length && text[_pos] is 'e' or 'E')
            {
                var mark = _pos;
                _pos++;
                if (_pos < text.Length && text[_pos] is '+' or '-')
                {
                    _pos++;
                }

                if (_pos < text.Length && char.IsAsciiDigit(text[_pos]))
                {
                    Digits();
                    isDouble = true;
                }
                else
                {
                    _pos = mark;
                }
            }

            return isDouble ? new Token(TokenKind.Double, text[start.._pos], line, column) : IntSuffix(start, line, column);
        }

        private Token IntSuffix(int start, int line, int column)
        {
            if (_pos < text.Length && text[_pos] is 'u' or 'U')
            {
                _pos++;
                return new Token(TokenKind.Uint, text[start.._pos], line, column);
            }

            return new Token(TokenKind.Int, text[start.._pos], line, column);
        }

        private void Digits()
        {
            while (_pos < text.Length && char.IsAsciiDigit(text[_pos]))
            {
                _pos++;
            }
        }
    }
}
