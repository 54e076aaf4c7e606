namespace Meshwork.Mixer.Lang;

/// <summary>A parsed CEXL expression, before type checking. Positions are 0-based offsets into the text, for errors.</summary>
public abstract record Node(int Position);

/// <summary>A literal: string, long, double or bool.</summary>
public sealed record Literal(object Value, int Position) : Node(Position);

/// <summary>A dotted attribute name (<c>source.labels</c>).</summary>
public sealed record AttributeRef(string Name, int Position) : Node(Position);

/// <summary><c>target[key]</c>: a string-map lookup.</summary>
public sealed record Index(Node Target, Node Key, int Position) : Node(Position);

/// <summary>A function call; <see cref="Receiver"/> is set for method syntax (<c>a.startsWith("x")</c>).</summary>
public sealed record Call(string Function, Node? Receiver, IReadOnlyList<Node> Arguments, int Position) : Node(Position);

/// <summary>A unary operator: <c>!</c> or <c>-</c>.</summary>
public sealed record Unary(string Operator, Node Operand, int Position) : Node(Position);

/// <summary>A binary operator: <c>| || &amp;&amp; == != &lt; &lt;= &gt; &gt;=</c>.</summary>
public sealed record Binary(string Operator, Node Left, Node Right, int Position) : Node(Position);

/// <summary>A syntax or type error in an expression, with the offset it was found at.</summary>
public sealed class ExpressionException(string message) : Exception(message);
