"""Imports every feature's models so metadata (and Alembic) sees all tables."""

from silian.accounts.models import LoginAttempt, User
from silian.achievements.models import Achievement
from silian.brokerage.models import (
    Broker,
    BrokerTraining,
    Contract,
    ContractMilestone,
    ContractPayment,
    Deal,
    DealStep,
    Match,
    MatchFeedback,
)
from silian.chains.models import IndustryChain
from silian.challenges.models import BidScore, Challenge, ChallengeAcceptance, Reviewer
from silian.consortia.models import (
    CommonTechProject,
    ConsortiumMember,
    InnovationConsortium,
    InstituteAchievement,
    InstitutePartner,
    InstituteTalent,
    ProjectAchievement,
    ProjectMilestone,
    ProjectTask,
    RdInstitute,
)
from silian.coordination.models import InvestmentProject
from silian.core.audit import AuditLog
from silian.core.db import Base
from silian.core.idempotency import IdempotencyKey
from silian.core.scheduler import JobLease
from silian.demands.models import Bid, Demand
from silian.education.models import (
    Consortium,
    Discipline,
    IndustryCollege,
    Major,
    MajorChain,
    MajorDiscipline,
    MajorOffering,
    NamedClass,
    TrainingBase,
)
from silian.events.models import (
    Event,
    EventEntry,
    EventJudge,
    EventLead,
    EventRegistration,
    ExpertScore,
)
from silian.hiring.models import Application, Dispatch, Hire, HireAchievement, Recommendation
from silian.insights import freshness  # noqa: F401  (changes mark their figure days)
from silian.insights.models import FigureDay, FigureDirtyDay
from silian.meetings.models import (
    AgendaItem,
    Decision,
    FollowUpTask,
    JointMeeting,
    ProgressNote,
)
from silian.notifications.models import Notification
from silian.organizations.models import Organization
from silian.platforms.models import Platform, PlatformService, ServiceBooking
from silian.subsidies.models import Policy, SubsidyApplication
from silian.talent.models import SalaryGradeRule, Talent, TalentNeed, TalentProject
from silian.training.models import Enrolment, TrainingProgramme

__all__ = [
    "IdempotencyKey",
    "Achievement",
    "AgendaItem",
    "Application",
    "Dispatch",
    "Hire",
    "HireAchievement",
    "Recommendation",
    "AuditLog",
    "Base",
    "Bid",
    "BidScore",
    "Broker",
    "Challenge",
    "ChallengeAcceptance",
    "BrokerTraining",
    "CommonTechProject",
    "ConsortiumMember",
    "InstituteAchievement",
    "InstitutePartner",
    "InstituteTalent",
    "ProjectAchievement",
    "ProjectMilestone",
    "ProjectTask",
    "RdInstitute",
    "Consortium",
    "Contract",
    "ContractMilestone",
    "ContractPayment",
    "Deal",
    "DealStep",
    "Enrolment",
    "Decision",
    "Demand",
    "Discipline",
    "Event",
    "EventEntry",
    "EventJudge",
    "EventLead",
    "EventRegistration",
    "ExpertScore",
    "FigureDay",
    "FigureDirtyDay",
    "FollowUpTask",
    "IndustryChain",
    "IndustryCollege",
    "JobLease",
    "InnovationConsortium",
    "InvestmentProject",
    "JointMeeting",
    "LoginAttempt",
    "Major",
    "MajorChain",
    "MajorDiscipline",
    "MajorOffering",
    "Match",
    "MatchFeedback",
    "NamedClass",
    "Notification",
    "Organization",
    "Platform",
    "PlatformService",
    "Policy",
    "ProgressNote",
    "Reviewer",
    "SalaryGradeRule",
    "ServiceBooking",
    "SubsidyApplication",
    "Talent",
    "TalentNeed",
    "TalentProject",
    "TrainingBase",
    "TrainingProgramme",
    "User",
]
