"""A shell command line as bash's grammar sees it: its simple commands, or why it cannot be analysed.

The command is parsed with tree-sitter-bash, a full bash grammar, and the tree is read against an allow-list
of node kinds: anything the reader does not know (arithmetic, ``[[ ]]``, function definitions, variable
assignments, command or process substitution, ``${x@P}``-style expansions, parse errors) makes the command
unanalysable rather than being skipped. A word's literal value is known only when no expansion can change it
(quotes and backslashes are removed; globs, braces, tildes, variables and ``$'...'`` make it unknown:
``None``). What an analysable command runs is then exactly its simple commands, with their names as written.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tree_sitter import Node, Parser

__all__ = ["MAX_COMMAND_CHARS", "Analysis", "SimpleCommand", "analyse"]

MAX_COMMAND_CHARS = 100_000
# Deeper trees than this are refused; a real command line is nowhere near it.
_MAX_NODES = 50_000

# Node kinds whose meaning is structure only: their children are read, they run nothing themselves.
_STRUCTURE = frozenset(
    {
        "program",
        "list",
        "pipeline",
        "redirected_statement",
        "subshell",
        "negated_command",
        "if_statement",
        "elif_clause",
        "else_clause",
        "while_statement",
        "do_group",
        "case_statement",
        "case_item",
        "comment",
        "file_redirect",
        "file_descriptor",
        "heredoc_redirect",
        "heredoc_start",
        "heredoc_body",
        "heredoc_content",
        "heredoc_end",
        "herestring_redirect",
        "extglob_pattern",
    }
)
# Kinds that make up words; a word's value may be unknown, but none of these runs anything.
_WORD_PARTS = frozenset(
    {
        "word",
        "string",
        "string_content",
        "raw_string",
        "ansi_c_string",
        "translated_string",
        "concatenation",
        "number",
        "simple_expansion",
        "variable_name",
        "special_variable_name",
    }
)
# Anonymous tokens (operators and keywords) that are known to mean only what their parent means.
_TOKENS = frozenset(
    {
        ";", "&", "&&", "||", "|", "|&", ";;", ";&", ";;&", "(", ")", "{", "}", "!", "\"", "$", "${",
        "if", "then", "else", "elif", "fi", "while", "until", "do", "done", "for", "in", "case", "esac",
        ">", ">>", "<", "<>", ">&", "<&", "&>", "&>>", ">|", "<&-", ">&-", "<<", "<<-", "<<<", "\n",
    }
)  # fmt: skip
_EXPRESSIONS = frozenset({"unary_expression", "binary_expression", "parenthesized_expression"})
_PLAIN_VARIABLE = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}")
_LOOP_VARIABLE = re.compile(r"[a-z_][a-z0-9_]*")
# Unquoted, these make a word a pattern (glob, brace or tilde expansion) whose value depends on the disk.
_PATTERN_CHARS = frozenset("*?[]{}~")


@dataclass(frozen=True)
class SimpleCommand:
    """One command bash will run: its words in order (``None`` where the value is only known at run time)."""

    words: tuple[str | None, ...]
    text: str

    @property
    def name(self) -> str | None:
        return self.words[0] if self.words else None

    @property
    def args(self) -> tuple[str | None, ...]:
        return self.words[1:]


@dataclass(frozen=True)
class Analysis:
    """The simple commands of a command line; ``problems`` says why it cannot be analysed (empty: it can)."""

    commands: tuple[SimpleCommand, ...]
    problems: tuple[str, ...]

    @property
    def analysable(self) -> bool:
        return not self.problems


@functools.cache
def _parser() -> Parser:
    import tree_sitter
    import tree_sitter_bash

    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_bash.language()))


def _text(node: Node) -> str:
    return node.text.decode("utf-8", errors="replace")


def _unescape_word(raw: str) -> str | None:
    out: list[str] = []
    i = 0
    while i < len(raw):
        ch = raw[i]
        if ch == "\\":
            if i + 1 < len(raw):
                if raw[i + 1] != "\n":  # backslash-newline is a line continuation: both vanish
                    out.append(raw[i + 1])
                i += 2
                continue
            return None
        if ch in _PATTERN_CHARS or ch in "$`'\"":
            return None
        out.append(ch)
        i += 1
    return "".join(out)


def _unescape_double_quoted(raw: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(raw):
        if raw[i] == "\\" and i + 1 < len(raw) and raw[i + 1] in '"\\$`\n':
            if raw[i + 1] != "\n":
                out.append(raw[i + 1])
            i += 2
            continue
        out.append(raw[i])
        i += 1
    return "".join(out)


def literal(node: Node) -> str | None:
    """The value bash gives this word, when no expansion can change it; else ``None``."""
    kind = node.type
    if kind == "word":
        return _unescape_word(_text(node))
    if kind == "number":
        return _text(node)
    if kind == "raw_string":
        return _text(node)[1:-1]
    if kind == "string":
        parts = [c for c in node.children if c.is_named]
        if any(c.type != "string_content" for c in parts):
            return None
        inner = _text(node)[1:-1]
        return _unescape_double_quoted(inner)
    if kind == "concatenation":
        values = [literal(c) for c in node.children]
        return None if any(v is None for v in values) else "".join(v for v in values if v is not None)
    return None


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source
        self.commands: list[SimpleCommand] = []
        self.problems: list[str] = []
        self.seen = 0

    def problem(self, node: Node, why: str) -> None:
        snippet = _text(node).strip().replace("\n", " ")
        if len(snippet) > 60:
            snippet = snippet[:57] + "..."
        self.problems.append(f"{why} ({snippet!r})")

    def read(self, node: Node) -> None:
        stack = [node]
        while stack:
            current = stack.pop()
            self.seen += 1
            if self.seen > _MAX_NODES:
                self.problems.append(f"the command has more than {_MAX_NODES} syntax nodes")
                return
            children = self.visit(current)
            stack.extend(reversed(children))

    def visit(self, node: Node) -> list:
        """Check one node; return the children still to be read."""
        kind = node.type
        if node.is_missing:
            self.problem(node, "incomplete syntax")
            return []
        if not node.is_named:
            if kind not in _TOKENS:
                self.problem(node, f"the shell construct {kind!r} is not analysed")
            return []
        if kind == "command":
            self.command(node)
            return []
        if kind == "redirected_statement":
            return self.redirected(node)
        if kind == "compound_statement":
            first = node.children[0] if node.children else None
            if first is None or first.type != "{":  # '((' arithmetic also parses as compound_statement
                self.problem(node, "arithmetic is not analysed")
                return []
            return list(node.children)
        if kind == "for_statement":
            return self.for_loop(node)
        if kind == "test_command" and node.children and node.children[0].type == "[":
            self.bracket_test(node)
            return []
        if kind == "expansion":
            if not _PLAIN_VARIABLE.fullmatch(_text(node)):
                self.problem(node, "only plain ${NAME} expansions are analysed")
            return []
        if kind in _STRUCTURE or kind in _WORD_PARTS:
            return list(node.children)
        self.problem(node, _describe(kind))
        return []

    def for_loop(self, node: Node) -> list:
        first = node.children[0] if node.children else None
        variable = node.child_by_field_name("variable")
        if first is None or first.type != "for":  # 'select' shares the node kind
            self.problem(node, "only for and while loops are analysed")
            return []
        # An upper-case loop variable could be PATH or another variable that changes what runs.
        if variable is None or not _LOOP_VARIABLE.fullmatch(_text(variable)):
            self.problem(node, "a for-loop variable must be a lower-case name")
            return []
        return [c for c in node.children if c.id != variable.id]

    def redirected(self, node: Node) -> list:
        body = node.child_by_field_name("body")
        extra = self.extra_destinations(node)
        if extra and (body is None or body.type != "command"):
            self.problem(node, "words after a redirection of a compound command are not analysed")
            return []
        if body is not None and body.type == "command":
            self.command(body, extra)
            return [c for c in node.children if c.id != body.id]
        return list(node.children)

    @staticmethod
    def extra_destinations(node: Node) -> list:
        # tree-sitter reads 'ls >out a b' as one redirection with three destinations; bash passes a and b
        # to ls. They are the command's arguments, and are checked as such.
        extra = []
        for child in node.children:
            if child.type == "file_redirect":
                extra.extend(child.children_by_field_name("destination")[1:])
        return extra

    def command(self, node: Node, extra: list | None = None) -> None:
        words: list = []
        for child in node.children:
            if child.type == "command_name":
                words.extend(child.children)
            elif child.type == "variable_assignment":
                self.problem(child, "variable assignments are not analysed")
            elif child.type in ("file_redirect", "herestring_redirect"):
                self.read_words(child.children)
                words.extend(child.children_by_field_name("destination")[1:])
            elif child.is_named:
                words.append(child)
            elif child.type not in _TOKENS:
                self.problem(child, f"the shell construct {child.type!r} is not analysed")
        words.extend(extra or [])
        words.sort(key=lambda w: w.start_byte)
        # tree-sitter reads the second '!' of '! ! ls' as a command named '!'; bash reads every unquoted
        # leading '!' as negation and runs ls. (A quoted '!' is a real command name.)
        while words and words[0].type == "word" and _text(words[0]) == "!":
            words.pop(0)
        self.read_words(words)
        if not words:
            self.problem(node, "a command without a name is not analysed")
            return
        self.commands.append(SimpleCommand(tuple(literal(w) for w in words), _text(node)))

    def bracket_test(self, node: Node) -> None:
        # '[ ... ]' is the test builtin with ordinary arguments; tree-sitter gives it an expression tree.
        words: list[str | None] = []
        stack = list(reversed(node.children))
        while stack:
            child = stack.pop()
            if child.type in _EXPRESSIONS:
                stack.extend(reversed(child.children))
            elif child.type == "test_operator" or not child.is_named:
                words.append(_text(child))
            elif child.type in _WORD_PARTS or child.type == "expansion":
                self.read(child)
                words.append(literal(child))
            else:
                self.read(child)
                words.append(None)
        self.commands.append(SimpleCommand(tuple(words), _text(node)))

    def read_words(self, nodes: list[Node]) -> None:
        for word in nodes:
            self.read(word)


def _describe(kind: str) -> str:
    reasons = {
        "command_substitution": "command substitution runs a command that is not analysed",
        "process_substitution": "process substitution runs a command that is not analysed",
        "arithmetic_expansion": "arithmetic expansion can run commands through array subscripts",
        "function_definition": "function definitions are not analysed",
        "variable_assignment": "variable assignments are not analysed",
        "declaration_command": "declare/export/local/readonly/typeset are not analysed",
        "unset_command": "unset is not analysed",
        "test_command": "[[ ]] can run commands through arithmetic and is not analysed",
        "c_style_for_statement": "arithmetic for-loops are not analysed",
        "ERROR": "the command does not parse",
    }
    return reasons.get(kind, f"the shell construct {kind!r} is not analysed")


def analyse(command: str) -> Analysis:
    """Parse ``command`` with bash's grammar; its simple commands, or the reasons it cannot be analysed."""
    if len(command) > MAX_COMMAND_CHARS:
        return Analysis((), (f"the command is longer than {MAX_COMMAND_CHARS} characters",))
    bad = sorted({f"U+{ord(c):04X}" for c in command if (ord(c) < 32 and c not in "\t\n") or ord(c) == 127})
    if bad:
        return Analysis((), (f"control characters ({', '.join(bad[:5])}) are not analysed",))
    try:
        source = command.encode("utf-8")
    except UnicodeEncodeError:
        return Analysis((), ("the command is not valid text",))
    tree = _parser().parse(source)
    reader = _Reader(command)
    reader.read(tree.root_node)
    if tree.root_node.has_error and not reader.problems:
        reader.problems.append("the command does not parse")
    return Analysis(tuple(reader.commands), tuple(dict.fromkeys(reader.problems)))
