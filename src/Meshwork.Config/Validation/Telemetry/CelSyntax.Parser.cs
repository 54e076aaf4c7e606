using System.Globalization;
using System.Numerics;

namespace Meshwork.Config.Validation.Telemetry;

/// <summary>CEL's expression grammar by recursive descent, with the literal and macro checks cel-go makes while parsing.</summary>
public static partial class CelSyntax
{
    private sealed class Parser(List<Token> tokens)
    {
        private int _index;

        private Token Current => tokens[_index];

        public void ParseAll()
        {
            Expr();
            if (Current.Kind != TokenKind.End)
            {
                throw Unexpected();
            }
        }

        private Shape Expr()
        {
            var shape = Or();
            if (Accept("?"))
            {
                Or();
                Expect(":");
                Expr();
                return Shape.Other;
            }

            return shape;
        }

        private Shape Or() => Binary(And, "||");

        private Shape And() => Binary(Relation, "&&");

        private Shape Relation() => Binary(Addition, "<", "<=", ">", ">=", "==", "!=", "in");

        private Shape Addition() => Binary(Multiplication, "+", "-");

        private Shape Multiplication() => Binary(Unary, "*", "/", "%");

        private Shape Binary(Func<Shape> operand, params string[] operators)
        {
            var shape = operand();
            while (operators.Any(Current.Is))
            {
                _index++;
                operand();
                shape = Shape.Other;
            }

            return shape;
        }

        private Shape Unary()
        {
            if (Current.Is("!") || Current.Is("-"))
            {
                var op = Current.Text;
                var count = 0;
                while (Current.Is(op))
                {
                    _index++;
                    count++;
                }

                Member(negated: op == "-" && count == 1);
                return Shape.Other;
            }

            return Member(negated: false);
        }

        private Shape Member(bool negated)
        {
            var shape = Primary(negated);
            while (true)
            {
                if (Accept("."))
                {
                    var name = Identifier();
                    if (Accept("("))
                    {
                        var arguments = Arguments(")");
                        if (Comprehensions.Contains(name.Text) && arguments.Count is 2 or 3 && arguments[0] != Shape.Identifier)
                        {
                            throw new CelSyntaxException("argument must be a simple name", name.Line, name.Column);
                        }

                        shape = Shape.Other;
                    }
                    else
                    {
                        shape = shape == Shape.Identifier || shape == Shape.QualifiedName ? Shape.QualifiedName : Shape.Selection;
                    }
                }
                else if (Accept("["))
                {
                    Expr();
                    Expect("]");
                    shape = Shape.Other;
                }
                else if (Current.Is("{") && shape is Shape.Identifier or Shape.QualifiedName)
                {
                    _index++;
                    FieldInitializers();
                    shape = Shape.Other;
                }
                else
                {
                    return shape;
                }
            }
        }

        private Shape Primary(bool negated)
        {
            var token = Current;
            switch (token.Kind)
            {
                case TokenKind.Identifier:
                    Identifier();
                    if (Accept("("))
                    {
                        var arguments = Arguments(")");
                        if (token.Text == "has" && arguments.Count == 1 && arguments[0] != Shape.Selection && arguments[0] != Shape.QualifiedName)
                        {
                            throw new CelSyntaxException("invalid argument to has() macro", token.Line, token.Column);
                        }

                        return Shape.Other;
                    }

                    return Shape.Identifier;
                case TokenKind.Int or TokenKind.Uint or TokenKind.Double:
                    _index++;
                    CheckNumber(token, negated);
                    return Shape.Other;
                case TokenKind.String or TokenKind.Literal:
                    _index++;
                    return Shape.Other;
            }

            if (Accept("."))
            {
                Identifier();
                if (Accept("("))
                {
                    Arguments(")");
                    return Shape.Other;
                }

                return Shape.QualifiedName;
            }

            if (Accept("("))
            {
                Expr();
                Expect(")");
                return Shape.Other;
            }

            if (Accept("["))
            {
                Elements("]", pairs: false);
                return Shape.Other;
            }

            if (Accept("{"))
            {
                Elements("}", pairs: true);
                return Shape.Other;
            }

            throw Unexpected();
        }

        private Token Identifier()
        {
            var token = Current;
            if (token.Kind != TokenKind.Identifier)
            {
                throw Unexpected();
            }

            if (Reserved.Contains(token.Text))
            {
                throw new CelSyntaxException($"reserved identifier: {token.Text}", token.Line, token.Column);
            }

            _index++;
            return token;
        }

        private List<Shape> Arguments(string close)
        {
            var shapes = new List<Shape>();
            if (Accept(close))
            {
                return shapes;
            }

            do
            {
                shapes.Add(Expr());
            }
            while (Accept(","));

            Expect(close);
            return shapes;
        }

        private void Elements(string close, bool pairs)
        {
            while (!Accept(close))
            {
                Expr();
                if (pairs)
                {
                    Expect(":");
                    Expr();
                }

                if (!Accept(","))
                {
                    Expect(close);
                    return;
                }
            }
        }

        private void FieldInitializers()
        {
            while (!Accept("}"))
            {
                Identifier();
                Expect(":");
                Expr();
                if (!Accept(","))
                {
                    Expect("}");
                    return;
                }
            }
        }

        private static void CheckNumber(Token token, bool negated)
        {
            var text = token.Text;
            switch (token.Kind)
            {
                case TokenKind.Double:
                    if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) || double.IsInfinity(d))
                    {
                        throw new CelSyntaxException($"invalid double literal {text}", token.Line, token.Column);
                    }

                    break;
                case TokenKind.Uint:
                    if (Value(text[..^1]) > ulong.MaxValue)
                    {
                        throw new CelSyntaxException($"invalid uint literal {text}", token.Line, token.Column);
                    }

                    break;
                default:
                    if (Value(text) > (negated ? (BigInteger)long.MaxValue + 1 : long.MaxValue))
                    {
                        throw new CelSyntaxException($"invalid int literal {text}", token.Line, token.Column);
                    }

                    break;
            }
        }

        private static BigInteger Value(string digits) =>
            digits.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
                ? BigInteger.Parse("0" + digits[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture)
                : BigInteger.Parse(digits, CultureInfo.InvariantCulture);

        private bool Accept(string punct)
        {
            if (Current.Is(punct))
            {
                _index++;
                return true;
            }

            return false;
        }

        private void Expect(string punct)
        {
            if (!Accept(punct))
            {
                throw Unexpected($", expected \"{punct}\"");
            }
        }

        private CelSyntaxException Unexpected(string expected = "") =>
            new($"unexpected {Current.Describe()}{expected}", Current.Line, Current.Column);
    }
}
