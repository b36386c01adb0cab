//! The three-snapshot leak finder: what was allocated between S1 and S2 and is still alive in
//! S3, grouped by who holds it, ranked by what it retains, and kept only when its group grows.
//!
//! 1. **Survivors.** The objects of S3 that S2 gained since S1 ([`Target`]), with the same type
//!    and name in S2 and S3 (an id alone can be recycled, see [`crate::ids`]).
//! 2. **Folding.** A survivor that another survivor owns (its dominator chain reaches it
//!    through survivors only) is part of that one: a `Session`'s strings, arrays, closures and
//!    contexts are not findings of their own. Objects of the owner's class down a chain (a
//!    linked list) stay members, so the chain counts every object. V8's internals and
//!    embedder nodes are never members.
//! 3. **Groups.** Members are grouped by the shape of their retainer path and their class
//!    (plain objects by their property names); groups with one holder are one finding.
//! 4. **Growth.** A group is a leak when, in S3, it holds more objects of its path tail than
//!    in S2 (a full bounded cache does not), and at least half of what it gained between S1
//!    and S2 is still there (churn keeps only a few, and recycled ids even fewer). Without S3
//!    (`leaks S1 S2`) the group must have grown from S1 to S2 by at least half of its new
//!    objects, and findings are marked less certain.
//! 5. **Ranking** by retained size in the last snapshot: counts and sizes are over every
//!    object, never a sample.

use leakscope_graph::{
    Analysis, BitSet, FxHashMap, HeapGraph, NodeIndex, NodeType, ObjectView, PathStep, Progress,
    ResolvedStep, RetainerPaths, ShowOptions, StringId, display_name, edge_text, location,
    path_text, resolve, show, string_text,
};
use serde::Serialize;

use crate::error::LeaksError;
use crate::holder::{self, Holder};
use crate::ids::{NodeKeys, has_stable_id};
use crate::shapes::{ShapeId, Shapes};
use crate::window::{Baseline, NewObjects, Target, is_reportable};

/// At least this share of what a group gained between S1 and S2 must still be there in S3.
pub const MIN_SURVIVAL: f64 = 0.5;
/// A group must grow, between the last two snapshots, by at least this share of its members
/// (and at least one object).
pub const MIN_GROWTH: f64 = 0.1;
/// Groups retaining less than this are not reported unless asked ([`LeakOptions::min_size`]).
pub const DEFAULT_MIN_SIZE: u64 = 10_000;

/// What to report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LeakOptions {
    /// Groups retaining less than this many bytes are not reported ([`DEFAULT_MIN_SIZE`]).
    pub min_size: u64,
}

impl Default for LeakOptions {
    fn default() -> Self {
        Self { min_size: DEFAULT_MIN_SIZE }
    }
}

/// The finder's answer.
#[derive(Clone, Debug, Serialize)]
pub struct LeakReport {
    /// How many snapshots were compared (2 or 3).
    pub snapshots: usize,
    /// `leak` or `no-leak`.
    pub verdict: &'static str,
    /// One sentence: what was found.
    pub message: String,
    /// The leaks, largest retained size first.
    pub leaks: Vec<Finding>,
    /// The largest groups that were not reported, and why.
    pub dismissed: Vec<Finding>,
    /// All groups that were not reported.
    pub dismissed_total: Totals,
    /// Every object allocated in the window and still alive (members of any group).
    pub survivors: Totals,
    /// How V8's ids were read (three snapshots only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ids: Option<IdCounts>,
}

/// How many objects the id comparison found, and how many ids it saw recycled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct IdCounts {
    /// Objects S2 gained since S1.
    pub new_in_target: u64,
    /// Of those, objects that took over the id of an S1 object of another type or name.
    pub recycled_in_target: u64,
    /// Objects S2 gained that S3 still has, with the same type and name.
    pub still_alive: u64,
    /// Objects of S3 with the id of an object S2 gained, but another type or name: a new
    /// object where a dead one was, not a survivor.
    pub recycled_later: u64,
}

/// A number of groups and their objects.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Groups.
    pub groups: u64,
    /// Objects.
    pub objects: u64,
    /// What they retain.
    pub retained_size: u64,
}

/// One group of leaked objects: one class, one holder.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    /// The class: the constructor (`Session`), `{a, b, c}` for plain objects by their
    /// properties, `(string)`, `Function`…
    pub class: String,
    /// For closures: the function's name (closures of one name are one group).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// How many objects.
    pub count: u64,
    /// Their shallow sizes.
    pub shallow_size: u64,
    /// What they retain, each counted once.
    pub retained_size: u64,
    /// The edges that name the holder: `recentlySeen`, `bus._events.tick`.
    pub holder: String,
    /// The holder object's class (`Map`, `Array`…).
    pub holder_class: String,
    /// The holder object's id.
    pub holder_id: u32,
    /// The leaked objects hang from one another (a linked chain) below the holder.
    pub chain: bool,
    /// The example's path from the root.
    pub retainer_path: Vec<ResolvedStep>,
    /// The same on one line, long paths shortened in the middle: `global → cache → table →
    /// [12] → Session @4321`.
    pub path: String,
    /// An object of the group (the nearest to the roots, then the one retaining the most).
    pub example_id: u32,
    /// The example object as `show @ID --json` prints it (depth 1).
    pub example: ObjectView,
    /// `file:line:column` of the class's constructor or the closure, where the snapshot has it.
    pub location: Option<String>,
    /// For strings: the example's text (at most 80 characters).
    pub sample: Option<String>,
    /// Objects of the group's path tail in each snapshot (null where not counted: S1 of three).
    pub counts: Vec<Option<u64>>,
    /// Of the objects the group gained between S1 and S2, the share still alive in S3 (null
    /// with two snapshots, or when S2 had none of its path).
    pub survival: Option<f64>,
    /// `high` with three snapshots and a known survival, else `low`.
    pub confidence: &'static str,
    /// For dismissed groups: why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dismissed: Option<&'static str>,
    /// Other leaked groups in the same container (a Map's keys beside its values), smaller
    /// than this one; `retained_size` includes theirs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<AlsoHeld>,
    #[serde(skip)]
    container: bool,
}

/// A smaller group of leaked objects in the same container as a finding.
#[derive(Clone, Debug, Serialize)]
pub struct AlsoHeld {
    /// Its class.
    pub class: String,
    /// For closures: the function's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// How many objects.
    pub count: u64,
    /// What they retain.
    pub retained_size: u64,
    /// An object of the group.
    pub example_id: u32,
}

/// Finds the leaks of three snapshots: `g` and `a` are S3 and its analysis, `baseline` S1,
/// `target` S2.
///
/// # Errors
/// When S3 is older than S2.
pub fn find_leaks(
    g: &HeapGraph,
    a: &Analysis,
    baseline: &Baseline,
    target: &Target,
    options: &LeakOptions,
    progress: Progress<'_>,
) -> Result<LeakReport, LeaksError> {
    if g.max_js_object_id() < target.max_id() {
        return Err(LeaksError::OutOfOrder {
            earlier: 2,
            later: 3,
            earlier_max: target.max_id(),
            later_max: g.max_js_object_id(),
        });
    }
    let baseline_max = baseline.ids.max_id();
    let mut keys = NodeKeys::new(g);
    let mut survivors = BitSet::new(g.node_count());
    let mut ids = IdCounts {
        new_in_target: target.new_objects() as u64,
        recycled_in_target: target.recycled_ids() as u64,
        ..IdCounts::default()
    };
    for n in g.nodes() {
        if !has_stable_id(g, n) {
            continue;
        }
        let id = g.node_id(n);
        if id > target.max_id() {
            continue;
        }
        match target.gained(id, baseline_max) {
            Some(key) if key == keys.of(n) => {
                survivors.set(n.index());
                ids.still_alive += 1;
            }
            // An object of another type or name at a dead window object's address.
            Some(_) => ids.recycled_later += 1,
            None => {}
        }
    }
    let growth = |tails: &[u64], counts_now: &FxHashMap<u64, u64>| {
        let mut c = Counts::default();
        for t in tails {
            let before = target.counts.get(*t);
            c.previous += u64::from(before.all);
            c.gained += u64::from(before.new);
            c.now += counts_now.get(t).copied().unwrap_or(0);
        }
        c
    };
    let mut report = report(g, a, &survivors, 3, options, progress, growth);
    report.ids = Some(ids);
    Ok(report)
}

/// Finds the leaks of two snapshots: `g` and `a` are S2 and its analysis, `baseline` S1 made
/// with [`Baseline::with_shapes`]. What S2 gained is reported when its group grew; without a
/// third snapshot nothing says it stays, so every finding is marked less certain.
///
/// # Errors
/// When S2 is older than S1, or they share almost no object; when `baseline` has no shapes.
pub fn find_new_objects(
    g: &HeapGraph,
    a: &Analysis,
    baseline: &Baseline,
    options: &LeakOptions,
    progress: Progress<'_>,
) -> Result<LeakReport, LeaksError> {
    let new = NewObjects::find(g, &baseline.ids, 2)?;
    let Some(before) = &baseline.counts else { return Err(LeaksError::NoShapes) };
    let growth = |tails: &[u64], counts_now: &FxHashMap<u64, u64>| {
        let mut c = Counts::default();
        for t in tails {
            c.previous += u64::from(before.get(*t).all);
            c.now += counts_now.get(t).copied().unwrap_or(0);
        }
        c
    };
    Ok(report(g, a, &new.nodes, 2, options, progress, growth))
}

/// Objects of a group's tails in the last two snapshots.
#[derive(Clone, Copy, Debug, Default)]
struct Counts {
    previous: u64,
    /// Of `previous`, the new ones (three snapshots only).
    gained: u64,
    now: u64,
}

/// A member's class: a class of the census, a plain object's own property names, or a
/// closure's function name (all closures are one class, `Function`, in the census).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum MemberClass {
    Class(u32),
    Properties(u64),
    Function(StringId),
}

fn member_class(
    g: &HeapGraph,
    a: &Analysis,
    n: NodeIndex,
    props: &mut Vec<StringId>,
) -> MemberClass {
    if g.node_type(n) == NodeType::CLOSURE {
        return MemberClass::Function(g.node_name_id(n));
    }
    if g.node_type(n) != NodeType::OBJECT || g.node_name(n) != "Object" {
        return MemberClass::Class(a.class_of(n).0);
    }
    props.clear();
    props.extend(
        g.edges(n)
            .filter(|&e| g.edge_type(e) == leakscope_graph::EdgeType::Property)
            .map(|e| StringId(g.edge_name_raw(e)))
            .filter(|&p| g.string(p) != "__proto__"),
    );
    props.sort_unstable();
    props.dedup();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in props.iter() {
        h = (h ^ u64::from(p.0)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    MemberClass::Properties(h)
}

const UNSET: u32 = u32::MAX;
const NOBODY: u32 = u32::MAX - 1;

/// Survivors, their owners and their groups.
struct Members<'a> {
    g: &'a HeapGraph,
    a: &'a Analysis,
    survivors: &'a BitSet,
    /// Per survivor: the highest reportable survivor its dominator chain reaches through
    /// survivors only (itself when none is above it), or `NOBODY`.
    top: Vec<u32>,
    props: Vec<StringId>,
}

impl Members<'_> {
    /// The survivor that dominates `n` (or `None` when its dominator is no survivor).
    fn owner(&self, n: NodeIndex) -> Option<NodeIndex> {
        let d = self.a.dominator(n);
        (d != n && self.survivors.get(d.index())).then_some(d)
    }

    fn top(&mut self, n: NodeIndex) -> u32 {
        let mut stack = Vec::new();
        let mut at = n;
        while self.top[at.index()] == UNSET {
            stack.push(at);
            match self.owner(at) {
                Some(d) => at = d,
                None => break,
            }
        }
        while let Some(v) = stack.pop() {
            let above = self.owner(v).map_or(NOBODY, |d| self.top[d.index()]);
            self.top[v.index()] = if above != NOBODY {
                above
            } else if is_reportable(self.g, v) {
                v.0
            } else {
                NOBODY
            };
        }
        self.top[n.index()]
    }

    fn class(&mut self, n: NodeIndex) -> MemberClass {
        member_class(self.g, self.a, n, &mut self.props)
    }
}

/// Members of one class under one holder.
struct Group {
    class: MemberClass,
    members: Vec<NodeIndex>,
    /// The path tails of its shapes (one, or several when shapes of one holder merged).
    tails: Vec<u64>,
    example: NodeIndex,
    path: Vec<PathStep>,
    holder: Holder,
}

/// What was measured of a group, and whether it is a leak.
struct Judged {
    count: u64,
    shallow_size: u64,
    retained_size: u64,
    counts: Counts,
    survival: Option<f64>,
    /// Why it is not reported, `None` for a leak.
    dismissed: Option<&'static str>,
}

fn report(
    g: &HeapGraph,
    a: &Analysis,
    survivors: &BitSet,
    snapshots: usize,
    options: &LeakOptions,
    progress: Progress<'_>,
    growth: impl Fn(&[u64], &FxHashMap<u64, u64>) -> Counts,
) -> LeakReport {
    let paths = RetainerPaths::compute(g, progress);
    let shapes = Shapes::compute(g, &paths);
    let mut m = Members { g, a, survivors, top: vec![UNSET; g.node_count()], props: Vec::new() };
    let groups = group(&mut m, &shapes, &paths);
    let judged = judge(&m, &groups, &shapes, snapshots, options, growth);

    let mut survivors_total = Totals::default();
    let mut dismissed_total = Totals::default();
    for j in &judged {
        for totals in std::iter::once(&mut survivors_total)
            .chain(j.dismissed.is_some().then_some(&mut dismissed_total))
        {
            totals.groups += 1;
            totals.objects += j.count;
            totals.retained_size += j.retained_size;
        }
    }
    let rank = |x: &Finding, y: &Finding| {
        y.retained_size
            .cmp(&x.retained_size)
            .then(y.count.cmp(&x.count))
            .then_with(|| x.class.cmp(&y.class))
            .then(x.example_id.cmp(&y.example_id))
    };
    let mut leaks: Vec<Finding> = groups
        .iter()
        .zip(&judged)
        .filter(|(_, j)| j.dismissed.is_none())
        .map(|(grp, j)| finding(g, a, grp, j, snapshots))
        .collect();
    leaks.sort_by(rank);
    let mut leaks = fold_containers(leaks);
    leaks.sort_by(rank);
    // Only the largest dismissed groups are described.
    let mut dismissed: Vec<(&Group, &Judged)> =
        groups.iter().zip(&judged).filter(|(_, j)| j.dismissed.is_some()).collect();
    dismissed.sort_by(|(gx, jx), (gy, jy)| {
        (jy.retained_size, jy.count, g.node_id(gx.example)).cmp(&(
            jx.retained_size,
            jx.count,
            g.node_id(gy.example),
        ))
    });
    dismissed.truncate(SHOWN_DISMISSED);
    let mut dismissed: Vec<Finding> =
        dismissed.into_iter().map(|(grp, j)| finding(g, a, grp, j, snapshots)).collect();
    dismissed.sort_by(rank);
    LeakReport {
        snapshots,
        verdict: if leaks.is_empty() { "no-leak" } else { "leak" },
        message: message(&leaks, &dismissed_total, snapshots),
        leaks,
        dismissed,
        dismissed_total,
        survivors: survivors_total,
        ids: None,
    }
}

/// How many of the groups not reported are described.
const SHOWN_DISMISSED: usize = 10;

/// The survivors that are members, grouped by path shape and class, each group with its
/// example, path and holder; groups with one holder object and class merged.
fn group(m: &mut Members<'_>, shapes: &Shapes, paths: &RetainerPaths) -> Vec<Group> {
    let (g, a) = (m.g, m.a);
    let mut index: FxHashMap<(ShapeId, MemberClass), usize> = FxHashMap::default();
    let mut groups: Vec<(MemberClass, u64, Vec<NodeIndex>)> = Vec::new();
    for n in g.nodes() {
        if !m.survivors.get(n.index()) || !is_reportable(g, n) || a.shallow_size(n) == 0 {
            continue;
        }
        let Some(shape) = shapes.of(n) else { continue };
        // Owned by another survivor: part of it, unless both are links of one chain (same
        // class, same folded path shape).
        let top = m.top(n);
        let class = m.class(n);
        if top != n.0
            && (top == NOBODY
                || shapes.of(NodeIndex(top)) != Some(shape)
                || m.class(NodeIndex(top)) != class)
        {
            continue;
        }
        let i = *index.entry((shape, class)).or_insert_with(|| {
            groups.push((class, shapes.tail(shape), Vec::new()));
            groups.len() - 1
        });
        groups[i].2.push(n);
    }

    // The example: the nearest to the roots, then the one retaining the most.
    let better = |x: NodeIndex, y: NodeIndex| {
        let rank = |n: NodeIndex| {
            (std::cmp::Reverse(a.distance(n)), a.retained_size(n), std::cmp::Reverse(g.node_id(n)))
        };
        rank(x) > rank(y)
    };
    let mut merged: Vec<Group> = Vec::new();
    let mut by_holder: FxHashMap<(NodeIndex, MemberClass), usize> = FxHashMap::default();
    for (class, tail, members) in groups {
        let example = members
            .iter()
            .copied()
            .fold(members[0], |best, n| if better(n, best) { n } else { best });
        let path = paths.path(g, example).unwrap_or_default();
        let holder = holder::find(g, &path, |n| {
            is_reportable(g, n) && member_class(g, a, n, &mut Vec::new()) == class
        });
        match by_holder.get(&(holder.object, class)) {
            Some(&i) => {
                let into = &mut merged[i];
                if better(example, into.example) {
                    (into.example, into.path, into.holder) = (example, path, holder);
                }
                into.members.extend(members);
                into.tails.push(tail);
            }
            None => {
                by_holder.insert((holder.object, class), merged.len());
                merged.push(Group { class, members, tails: vec![tail], example, path, holder });
            }
        }
    }
    for grp in &mut merged {
        grp.members.sort_unstable();
        grp.tails.sort_unstable();
        grp.tails.dedup();
    }
    merged
}

/// Counts, sizes and growth of each group, and the verdict.
fn judge(
    m: &Members<'_>,
    groups: &[Group],
    shapes: &Shapes,
    snapshots: usize,
    options: &LeakOptions,
    growth: impl Fn(&[u64], &FxHashMap<u64, u64>) -> Counts,
) -> Vec<Judged> {
    let (g, a) = (m.g, m.a);
    // A member's retained size counts unless a member of its own group owns it.
    let mut group_of: FxHashMap<u32, usize> = FxHashMap::default();
    for (i, grp) in groups.iter().enumerate() {
        group_of.extend(grp.members.iter().map(|n| (n.0, i)));
    }
    let owned_within = |n: NodeIndex, i: usize| {
        let mut at = n;
        while let Some(d) = m.owner(at) {
            if let Some(&j) = group_of.get(&d.0) {
                return j == i;
            }
            at = d;
        }
        false
    };
    // Objects of each group's tails in this snapshot.
    let mut counts_now: FxHashMap<u64, u64> =
        groups.iter().flat_map(|grp| grp.tails.iter().map(|&t| (t, 0))).collect();
    for n in g.nodes() {
        if let Some(s) = shapes.of(n)
            && let Some(c) = counts_now.get_mut(&shapes.tail(s))
            && is_reportable(g, n)
        {
            *c += 1;
        }
    }
    groups
        .iter()
        .enumerate()
        .map(|(i, grp)| {
            let count = grp.members.len() as u64;
            let shallow_size = grp.members.iter().map(|&n| a.shallow_size(n)).sum();
            let retained_size: u64 = grp
                .members
                .iter()
                .filter(|&&n| !owned_within(n, i))
                .map(|&n| a.retained_size(n))
                .sum();
            let counts = growth(&grp.tails, &counts_now);
            #[allow(clippy::cast_precision_loss)] // ratios
            let survival = (snapshots == 3 && counts.gained > 0)
                .then(|| (count as f64 / counts.gained as f64).min(1.0));
            // With three snapshots, survival shows the new objects stay, and any steady growth
            // after S2 will do; with two, at least half of the new objects must be net growth.
            let share = if snapshots == 3 { MIN_GROWTH } else { MIN_SURVIVAL };
            #[allow(
                clippy::cast_precision_loss,
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss
            )]
            let min_growth = ((count as f64 * share).ceil() as u64).max(1);
            let dismissed = if counts.now < counts.previous + min_growth {
                Some("does not grow: a bounded cache or pool, or churn")
            } else if survival.is_some_and(|s| s < MIN_SURVIVAL) {
                Some("few of its new objects survive: churn")
            } else if retained_size < options.min_size {
                Some("smaller than --min-size")
            } else {
                None
            };
            Judged { count, shallow_size, retained_size, counts, survival, dismissed }
        })
        .collect()
}

/// A group as the report describes it.
fn finding(g: &HeapGraph, a: &Analysis, grp: &Group, j: &Judged, snapshots: usize) -> Finding {
    let classes = a.classes();
    let example = grp.example;
    let (class, name) = match grp.class {
        MemberClass::Class(c) => (classes.name(leakscope_graph::ClassId(c)).to_owned(), None),
        MemberClass::Properties(_) => (display_name(g, example, 120), None),
        MemberClass::Function(name) => {
            let name = g.string(name);
            (a.class_name(example).to_owned(), (!name.is_empty()).then(|| name.to_owned()))
        }
    };
    let c = j.counts;
    let counts = if snapshots == 3 {
        vec![None, Some(c.previous), Some(c.now)]
    } else {
        vec![Some(c.previous), Some(c.now)]
    };
    Finding {
        class,
        name,
        count: j.count,
        shallow_size: j.shallow_size,
        retained_size: j.retained_size,
        holder: grp.holder.name.clone(),
        holder_class: a.class_name(grp.holder.object).to_owned(),
        holder_id: g.node_id(grp.holder.object),
        chain: grp.holder.chain,
        retainer_path: resolve(g, classes, &grp.path),
        path: path_line(g, classes, &grp.path),
        example_id: g.node_id(example),
        example: show(g, a, example, &ShowOptions::default()),
        location: location(g, example),
        sample: g.node_type(example).is_string().then(|| {
            let (mut text, truncated) = string_text(g, example, 80);
            if truncated {
                text.push('…');
            }
            text
        }),
        counts,
        survival: j.survival,
        confidence: if j.survival.is_some() { "high" } else { "low" },
        dismissed: j.dismissed,
        also: Vec::new(),
        container: grp.holder.container,
    }
}

/// Leaks in one container (a Map's values and its keys) are one finding: the largest, with
/// the others as [`Finding::also`]. `leaks` come ranked, and stay so.
fn fold_containers(leaks: Vec<Finding>) -> Vec<Finding> {
    let mut out: Vec<Finding> = Vec::with_capacity(leaks.len());
    let mut by_container: FxHashMap<u32, usize> = FxHashMap::default();
    for f in leaks {
        let into = if f.container { by_container.get(&f.holder_id).copied() } else { None };
        match into {
            Some(i) => {
                let main = &mut out[i];
                main.retained_size += f.retained_size;
                main.also.push(AlsoHeld {
                    class: f.class,
                    name: f.name,
                    count: f.count,
                    retained_size: f.retained_size,
                    example_id: f.example_id,
                });
            }
            None => {
                if f.container {
                    by_container.insert(f.holder_id, out.len());
                }
                out.push(f);
            }
        }
    }
    out
}

fn message(leaks: &[Finding], dismissed: &Totals, snapshots: usize) -> String {
    let window = if snapshots == 3 {
        "allocated between the first two snapshots and still alive in the third"
    } else {
        "new in the second snapshot"
    };
    match leaks.len() {
        0 if dismissed.objects == 0 => format!("no leak found: no object {window}"),
        0 => format!(
            "no leak found: the {} objects {window} are in groups that do not keep growing \
             (bounded caches, churn) or are too small",
            dismissed.objects
        ),
        1 => format!("1 leak found: objects {window}, in a group that keeps growing"),
        n => format!("{n} leaks found: objects {window}, in groups that keep growing"),
    }
}

/// A path on one line, long ones with their middle left out.
fn path_line(g: &HeapGraph, classes: &leakscope_graph::Classes, steps: &[PathStep]) -> String {
    const HEAD: usize = 5;
    const TAIL: usize = 8;
    const SHOWN_WHOLE: usize = 16;
    if steps.len() <= SHOWN_WHOLE {
        return path_text(g, classes, steps);
    }
    // `A → e1 → … → e4 → X @id`: keep up to the last edge.
    let head = path_text(g, classes, &steps[..HEAD]);
    let head = head.rsplit_once(" → ").map_or(head.as_str(), |(edges, _)| edges);
    let tail = &steps[steps.len() - TAIL..];
    let edges: Vec<String> = tail.iter().map(|s| edge_text(g, s.edge)).collect();
    let end = tail[TAIL - 1].to;
    format!(
        "{head} → …{} more… → {} → {} @{}",
        steps.len() - HEAD - TAIL,
        edges.join(" → "),
        classes.name(classes.of(end)),
        g.node_id(end)
    )
}
